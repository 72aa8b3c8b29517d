"""Typed settings every service shares.

Each service subclasses :class:`ServiceSettings` in its own ``settings.py``; nothing else
reads ``os.environ``. Dev defaults make ``make up`` work with zero configuration; outside
dev (``ENVIRONMENT=production``) a default secret or a missing key refuses to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_TOKEN = "dev-internal-token-change-me"

Environment = Literal["dev", "test", "production"]


class DefaultSecretError(ValueError):
    """A production service was configured with a dev default secret."""


class ServiceSettings(BaseSettings):
    """Settings common to all five services."""

    model_config = SettingsConfigDict(extra="ignore")

    SERVICE_NAME: str = "service"
    SERVICE_PORT: int = 8000
    API_PREFIX: str = "/api"
    ENVIRONMENT: Environment = "dev"
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = True

    DATABASE_URL: str = ""
    # Up to 20 connections kept once opened, none opened beyond: an overflow connection is
    # closed when returned, so under a load above the pool every burst connected anew (a backend
    # forked, the driver set up) — at 50 purchases a second booking and payment opened 450
    # connections in 20 s and PostgreSQL spent 17 ms per purchase instead of 8. Same ceiling
    # (20) as 10 + 10 before; a request finding the pool busy waits for a connection.
    DB_POOL_SIZE: int = 20
    DB_MAX_OVERFLOW: int = 0
    DB_STATEMENT_TIMEOUT_MS: int = 15_000
    # a pooled connection idle this long is pinged before use (see shared.db.ping_when_idle)
    DB_PING_AFTER_IDLE_SECONDS: float = 10.0
    # Chaos tests only (``shared.faults``): a folder where a test drops a file to make this
    # process crash at a chosen point. Empty: nothing is looked at; refused in production.
    FAULT_DIR: str = ""
    RUN_MIGRATIONS: bool = True

    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    REDIS_PREFIX: str = ""

    AMQP_URL: str = "amqp://guest:guest@127.0.0.1:5672/"
    MESSAGING_NAMESPACE: str = ""
    AMQP_PREFETCH: int = 64
    # messages waiting together are handled in one transaction (shared.messaging.consumer)
    AMQP_BATCH_SIZE: int = 32
    AMQP_CONSUMER_WORKERS: int = 2
    AMQP_BATCH_LINGER_SECONDS: float = 0.0
    AMQP_DELIVERY_LIMIT: int = 5
    # how often a consuming service counts its dead-letter queue (ticketing_dead_letters)
    DEAD_LETTER_CHECK_SECONDS: float = 15.0
    OUTBOX_BATCH_SIZE: int = 100
    OUTBOX_POLL_SECONDS: float = 0.5
    # rows are published right after their commit; the sweep takes those still unsent this late
    OUTBOX_SWEEP_AFTER_SECONDS: float = 5.0

    JWKS_URL: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    JWKS_JSON: str | None = None
    JWKS_CACHE_SECONDS: int = 300
    JWT_ISSUER: str = "ticketing-auth"
    JWT_AUDIENCE: str = "ticketing"
    JWT_LEEWAY_SECONDS: int = 10
    REVOCATION_SYNC_SECONDS: float = 60.0

    # Idempotency-Key (API.md): kept at least 24 h; a claim whose request died without an
    # answer is taken over after IDEMPOTENCY_STALE_SECONDS.
    IDEMPOTENCY_KEEP_HOURS: int = Field(default=48, ge=24)
    IDEMPOTENCY_STALE_SECONDS: int = Field(default=120, ge=5)

    INTERNAL_TOKEN: SecretStr = SecretStr(DEV_INTERNAL_TOKEN)
    HTTP_TIMEOUT_SECONDS: float = 5.0

    AUTH_URL: str = "http://127.0.0.1:8001"
    EVENT_URL: str = "http://127.0.0.1:8002"
    BOOKING_URL: str = "http://127.0.0.1:8003"
    PAYMENT_URL: str = "http://127.0.0.1:8004"
    NOTIFICATION_URL: str = "http://127.0.0.1:8005"

    @model_validator(mode="after")
    def _fill_database_url(self) -> ServiceSettings:
        if not self.DATABASE_URL:
            name = self.SERVICE_NAME
            url = f"postgresql+asyncpg://{name}:{name}@127.0.0.1:5432/{name}"
            self.DATABASE_URL = url
        return self

    @model_validator(mode="after")
    def _refuse_defaults_in_production(self) -> ServiceSettings:
        if self.ENVIRONMENT == "production":
            problems = self.production_problems()
            if problems:
                raise DefaultSecretError("refusing to start in production: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production (subclasses extend this)."""
        problems = []
        if self.INTERNAL_TOKEN.get_secret_value() == DEV_INTERNAL_TOKEN:
            problems.append("INTERNAL_TOKEN is the dev default")
        if len(self.INTERNAL_TOKEN.get_secret_value()) < 24:
            problems.append("INTERNAL_TOKEN is shorter than 24 characters")
        if self.JWKS_JSON:
            problems.append("JWKS_JSON (a static test key set) is set")
        if self.FAULT_DIR:
            problems.append("FAULT_DIR (crashes on demand, for chaos tests) is set")
        name = self.SERVICE_NAME
        if f"{name}:{name}@" in self.DATABASE_URL:
            problems.append("DATABASE_URL uses the dev password")
        return problems

    @property
    def is_dev(self) -> bool:
        return self.ENVIRONMENT != "production"

    @property
    def service_prefix(self) -> str:
        """The public path prefix this service serves, e.g. ``/api/bookings``."""
        return self.API_PREFIX


def require_key_file(path: Path, what: str) -> list[str]:
    """A production problem when a key file is missing (dev generates keys on first run)."""
    return [] if path.is_file() else [f"{what} not found at {path}"]
