"""Typed settings of the notification service (nothing else reads the environment)."""

from __future__ import annotations

from pathlib import Path

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE_NAME: str = "notification"
    SERVICE_PORT: int = 8005
    API_PREFIX: str = "/api/notifications"
    # A booking.confirmed handler holds two database connections (its transaction and the
    # ticket document's); keep 2 x prefetch within the pool (DB_POOL_SIZE + DB_MAX_OVERFLOW).
    AMQP_PREFETCH: int = 8

    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 1025
    SMTP_FROM: str = "Ticketing <no-reply@ticketing.local>"
    SMTP_TIMEOUT_SECONDS: float = 10

    # Rendered tickets live here as <booking_id>.pdf (relative paths are from the cwd).
    TICKET_STORAGE_DIR: Path = Path("var/tickets")
    # Links in emails point here (the gateway).
    PUBLIC_BASE_URL: str = "http://localhost:8080"
