"""Auth settings (nothing else reads the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator

from auth_service.domain import validate_email, validate_password
from shared.settings import ServiceSettings, require_key_file

DEV_ADMIN_PASSWORD = "admin-dev-password"


class Settings(ServiceSettings):
    SERVICE_NAME: str = "auth"
    SERVICE_PORT: int = 8001
    API_PREFIX: str = "/api/auth"

    JWT_PRIVATE_KEY_PATH: Path = Path("var/keys/jwt_ed25519.pem")
    ACCESS_TOKEN_TTL_SECONDS: int = 900
    REFRESH_TOKEN_TTL_SECONDS: int = 30 * 24 * 3600

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

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.ADMIN_PASSWORD.get_secret_value() == DEV_ADMIN_PASSWORD:
            problems.append("ADMIN_PASSWORD is the dev default")
        problems += require_key_file(self.JWT_PRIVATE_KEY_PATH, "JWT_PRIVATE_KEY_PATH")
        return problems
