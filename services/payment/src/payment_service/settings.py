"""Typed settings of the payment service (nothing else reads the environment)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings

DEV_IDEMPOTENCY_HASH_KEY = "dev-payment-idempotency-key-change-me"


class Settings(ServiceSettings):
    SERVICE_NAME: str = "payment"
    SERVICE_PORT: int = 8004
    API_PREFIX: str = "/api/payments"

    # Request bodies carry card numbers: their fingerprint for Idempotency-Key is a keyed hash.
    IDEMPOTENCY_HASH_KEY: SecretStr = SecretStr(DEV_IDEMPOTENCY_HASH_KEY)
    # A payment left `processing` this long (the process died mid-charge) is failed, retryable.
    PROCESSING_TIMEOUT_SECONDS: int = 300
    SWEEP_INTERVAL_SECONDS: float = 30.0
    # Who asks the processor for a pending refund holds it this long (longer than any processor
    # call); a refund whose asker died is asked again after it.
    REFUND_LEASE_SECONDS: int = Field(default=60, ge=5)
    # A payment that finds no copy of its booking (booking.created not consumed yet) waits this
    # long for it before asking booking over HTTP ...
    BOOKING_COPY_WAIT_SECONDS: float = Field(default=0.5, ge=0)
    # ... or, while copies of other bookings keep arriving (booking.created is only behind), up
    # to this long.
    BOOKING_COPY_BACKLOG_WAIT_SECONDS: float = Field(default=10.0, ge=0)
    # Which card processor charges (a name in payment_service.processor.PROCESSORS).
    PAYMENT_PROCESSOR: str = "simulated"

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.IDEMPOTENCY_HASH_KEY.get_secret_value() == DEV_IDEMPOTENCY_HASH_KEY:
            problems.append("IDEMPOTENCY_HASH_KEY is the dev default")
        return problems
