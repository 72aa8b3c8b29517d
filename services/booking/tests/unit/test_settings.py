"""Booking's settings refuse to run in production without a ticket signing key."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking_service.settings import Settings
from booking_service.tickets import load_private_key

PRODUCTION = {
    "ENVIRONMENT": "production",
    "INTERNAL_TOKEN": "a-real-internal-token-0123456789",
    "DATABASE_URL": "postgresql+asyncpg://booking:s3cret@db:5432/booking",
}


def test_defaults_match_the_contract_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAYMENT_WINDOW_SECONDS", "SWEEP_INTERVAL_SECONDS", "TICKET_PRIVATE_KEY_PATH"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.SERVICE_PORT, settings.API_PREFIX) == (8003, "/api/bookings")
    assert settings.PAYMENT_WINDOW_SECONDS == 900
    assert settings.SWEEP_INTERVAL_SECONDS == 5
    assert Path("var/keys/ticket_ed25519.pem") == settings.TICKET_PRIVATE_KEY_PATH


def test_production_is_refused_when_ticket_key_is_missing(tmp_path: Path) -> None:
    # pydantic wraps the validator's DefaultSecretError (a ValueError) in a ValidationError
    with pytest.raises(ValueError, match="TICKET_PRIVATE_KEY_PATH not found"):
        Settings(**PRODUCTION, TICKET_PRIVATE_KEY_PATH=tmp_path / "absent.pem")


def test_production_starts_when_ticket_key_exists(tmp_path: Path) -> None:
    path = tmp_path / "ticket.pem"
    load_private_key(path, create_if_missing=True)
    settings = Settings(**PRODUCTION, TICKET_PRIVATE_KEY_PATH=path)
    assert settings.production_problems() == []
