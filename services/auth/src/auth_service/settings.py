"""Auth settings (nothing else reads the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from auth_service.domain import validate_email, validate_password
from shared.settings import ServiceSettings, require_key_file

DEV_ADMIN_PASSWORD = "admin-dev-password"


class Settings(ServiceSettings):
    SERVICE_NAME: str = "auth"
    SERVICE_PORT: int = 8001
    API_PREFIX: str = "/api/auth"

    # auth consumes the lifecycle only for its audit log: a quarter of a second of latency
    # lets the messages of many purchases share one transaction
    AMQP_BATCH_LINGER_SECONDS: float = 0.25

    JWT_PRIVATE_KEY_PATH: Path = Path("var/keys/jwt_ed25519.pem")
    # Comma-separated PEM files (private or public Ed25519 keys) signed with before: published
    # in the JWKS and honoured, never signed with. Drop a path to retire its key.
    JWT_PREVIOUS_KEY_PATHS: str = ""
    ACCESS_TOKEN_TTL_SECONDS: int = Field(900, ge=30, le=3600)
    REFRESH_TOKEN_TTL_SECONDS: int = Field(14 * 24 * 3600, ge=60)  # idle limit
    SESSION_MAX_AGE_SECONDS: int = Field(30 * 24 * 3600, ge=60)  # absolute limit per sign-in

    EMAIL_VERIFICATION_TTL_SECONDS: int = Field(24 * 3600, ge=60)
    PASSWORD_RESET_TTL_SECONDS: int = Field(3600, ge=60)
    # At most one verification / reset email per account per this many seconds.
    ACCOUNT_EMAIL_INTERVAL_SECONDS: int = Field(60, ge=0)

    # Sign-in throttling (Redis), on top of the gateway's per-IP request limit. Per account:
    # progressive delays, never a lock — after LOGIN_MAX_FAILURES_PER_ACCOUNT failures each
    # further attempt waits LOGIN_DELAY_BASE_SECONDS, twice that, … up to
    # LOGIN_DELAY_MAX_SECONDS from any address, or LOGIN_CLIENT_DELAY_MAX_SECONDS from the
    # address that keeps failing. Failures are forgotten LOGIN_ACCOUNT_WINDOW_SECONDS after the
    # last one. Per address: a hard limit of LOGIN_MAX_FAILURES_PER_IP per window.
    LOGIN_MAX_FAILURES_PER_ACCOUNT: int = Field(5, ge=1)
    LOGIN_ACCOUNT_WINDOW_SECONDS: int = Field(900, ge=1)
    LOGIN_DELAY_BASE_SECONDS: float = Field(1.0, ge=0.01, le=60)
    LOGIN_DELAY_MAX_SECONDS: float = Field(30.0, ge=0.01, le=3600)
    LOGIN_CLIENT_DELAY_MAX_SECONDS: float = Field(900.0, ge=0.01, le=86400)
    LOGIN_MAX_FAILURES_PER_IP: int = Field(50, ge=1)
    LOGIN_IP_WINDOW_SECONDS: int = Field(900, ge=1)

    ORGANIZER_DOCUMENT_MAX_BYTES: int = Field(5 * 1024 * 1024, ge=1)

    ADMIN_EMAIL: str = "admin@ticketing.local"
    ADMIN_PASSWORD: SecretStr = SecretStr(DEV_ADMIN_PASSWORD)
    AUTH_REQUIRE_VERIFIED_EMAIL: bool = False

    @field_validator("ADMIN_EMAIL")
    @classmethod
    def _admin_email(cls, value: str) -> str:
        return validate_email(value)

    @field_validator("ADMIN_PASSWORD")
    @classmethod
    def _admin_password(cls, value: SecretStr) -> SecretStr:
        validate_password(value.get_secret_value())
        return value

    @property
    def previous_key_paths(self) -> list[Path]:
        return [Path(p.strip()) for p in self.JWT_PREVIOUS_KEY_PATHS.split(",") if p.strip()]

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.ADMIN_PASSWORD.get_secret_value() == DEV_ADMIN_PASSWORD:
            problems.append("ADMIN_PASSWORD is the dev default")
        problems += require_key_file(self.JWT_PRIVATE_KEY_PATH, "JWT_PRIVATE_KEY_PATH")
        for path in self.previous_key_paths:
            problems += require_key_file(path, "JWT_PREVIOUS_KEY_PATHS")
        return problems
