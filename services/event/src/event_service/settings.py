"""Typed settings of the event service (nothing else reads the environment)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE_NAME: str = "event"
    SERVICE_PORT: int = 8002
    API_PREFIX: str = "/api/events"

    HOLD_TTL_SECONDS: int = 600
    HOLD_MAX_SECONDS: int = 1800
    # How often lapsed holds are swept (general-admission places go back to their tier).
    HOLD_SWEEP_SECONDS: float = 2.0
    # The Redis mirror of sold seats is rebuilt from PostgreSQL after this long (or when lost).
    SOLD_CACHE_SECONDS: int = 86_400
