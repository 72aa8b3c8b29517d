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
    # Keys signed with before a rotation (PEM, private or public; a JSON list in the environment):
    # their codes still verify at check-in and they stay in the published key set.
    TICKET_RETIRED_KEY_PATHS: list[Path] = Field(default_factory=list)
    # How long the hold that event re-takes for a late payment lives (booking.confirmed ends it).
    RETAKE_HOLD_TTL_SECONDS: int = Field(default=600, gt=0)
    SWEEP_INTERVAL_SECONDS: float = Field(default=5.0, gt=0)
    # how often ticketing_oversold_seats is recomputed from PostgreSQL
    OVERSOLD_CHECK_SECONDS: float = Field(default=10.0, gt=0)
    SWEEP_BATCH_SIZE: int = Field(default=100, gt=0)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        problems += require_key_file(self.TICKET_PRIVATE_KEY_PATH, "TICKET_PRIVATE_KEY_PATH")
        for path in self.TICKET_RETIRED_KEY_PATHS:
            problems += require_key_file(path, "TICKET_RETIRED_KEY_PATHS")
        return problems
