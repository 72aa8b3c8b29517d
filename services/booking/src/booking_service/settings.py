"""Booking's settings (nothing else reads the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings, require_key_file


class Settings(ServiceSettings):
    SERVICE_NAME: str = "booking"
    SERVICE_PORT: int = 8003
    API_PREFIX: str = "/api/bookings"

    PAYMENT_WINDOW_SECONDS: int = Field(default=900, gt=0)
    # Ed25519 private key signing ticket codes (PKCS8 PEM); generated on first run in dev/test.
    TICKET_PRIVATE_KEY_PATH: Path = Path("var/keys/ticket_ed25519.pem")
    SWEEP_INTERVAL_SECONDS: float = Field(default=5.0, gt=0)
    SWEEP_BATCH_SIZE: int = Field(default=100, gt=0)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        problems += require_key_file(self.TICKET_PRIVATE_KEY_PATH, "TICKET_PRIVATE_KEY_PATH")
        return problems
