from __future__ import annotations

import pytest

from shared.settings import ServiceSettings


class _Settings(ServiceSettings):
    SERVICE_NAME: str = "booking"


def test_dev_defaults_point_at_local_servers_when_nothing_is_configured() -> None:
    settings = _Settings()
    assert settings.DATABASE_URL == "postgresql+asyncpg://booking:booking@127.0.0.1:5432/booking"
    assert settings.ENVIRONMENT == "dev"


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValueError) as caught:
        _Settings(ENVIRONMENT="production")
    assert "INTERNAL_TOKEN is the dev default" in str(caught.value)
    assert "DATABASE_URL uses the dev password" in str(caught.value)


def test_production_starts_when_secrets_are_real() -> None:
    settings = _Settings(
        ENVIRONMENT="production",
        INTERNAL_TOKEN="x" * 40,
        DATABASE_URL="postgresql+asyncpg://booking:s3cret-long@db:5432/booking",
    )
    assert settings.ENVIRONMENT == "production"


def test_production_refuses_static_test_keys() -> None:
    with pytest.raises(ValueError, match="JWKS_JSON"):
        _Settings(
            ENVIRONMENT="production",
            INTERNAL_TOKEN="x" * 40,
            DATABASE_URL="postgresql+asyncpg://u:p@db/booking",
            JWKS_JSON='{"keys": []}',
        )


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PREFIX", "t1:")
    monkeypatch.setenv("AMQP_PREFETCH", "7")
    settings = _Settings()
    assert settings.REDIS_PREFIX == "t1:" and settings.AMQP_PREFETCH == 7
