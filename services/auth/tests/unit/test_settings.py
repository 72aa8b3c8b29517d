"""Production refuses dev secrets and a missing signing key."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth_service.settings import Settings
from shared.keys import load_private_key

PRODUCTION = {
    "ENVIRONMENT": "production",
    "INTERNAL_TOKEN": "a-long-enough-internal-token-value",
    "DATABASE_URL": "postgresql+asyncpg://auth:s3cret@db:5432/auth",
}


def test_production_refuses_default_admin_password_and_missing_key_when_configured(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError) as caught:
        Settings(**PRODUCTION, JWT_PRIVATE_KEY_PATH=tmp_path / "missing.pem")
    message = str(caught.value)
    assert "ADMIN_PASSWORD is the dev default" in message
    assert "JWT_PRIVATE_KEY_PATH not found" in message


def test_production_starts_when_secrets_and_key_are_real(tmp_path: Path) -> None:
    key = tmp_path / "jwt.pem"
    load_private_key(key, create=True)
    settings = Settings(**PRODUCTION, JWT_PRIVATE_KEY_PATH=key, ADMIN_PASSWORD="a-real-secret")
    assert settings.production_problems() == []


def test_settings_refuse_an_admin_password_when_shorter_than_policy() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        Settings(ADMIN_PASSWORD="short")


def test_dev_defaults_match_the_contract_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    key_path = settings.JWT_PRIVATE_KEY_PATH
    assert (settings.SERVICE_PORT, settings.API_PREFIX) == (8001, "/api/auth")
    assert settings.ACCESS_TOKEN_TTL_SECONDS == 900
    assert settings.REFRESH_TOKEN_TTL_SECONDS == 14 * 24 * 3600
    assert settings.SESSION_MAX_AGE_SECONDS == 30 * 24 * 3600
    assert settings.previous_key_paths == []
    assert settings.ADMIN_EMAIL == "admin@ticketing.local"
    assert key_path == Path("var/keys/jwt_ed25519.pem")
    assert settings.AUTH_REQUIRE_VERIFIED_EMAIL is False


def test_previous_key_paths_split_on_commas_when_several_given() -> None:
    settings = Settings(JWT_PREVIOUS_KEY_PATHS=" /k/old.pem, /k/older.pem ,")
    assert settings.previous_key_paths == [Path("/k/old.pem"), Path("/k/older.pem")]


def test_production_refuses_a_missing_previous_key_when_listed(tmp_path: Path) -> None:
    key = tmp_path / "jwt.pem"
    load_private_key(key, create=True)
    with pytest.raises(ValueError, match="JWT_PREVIOUS_KEY_PATHS not found"):
        Settings(
            **PRODUCTION,
            JWT_PRIVATE_KEY_PATH=key,
            JWT_PREVIOUS_KEY_PATHS=str(tmp_path / "gone.pem"),
            ADMIN_PASSWORD="a-real-secret",
        )
