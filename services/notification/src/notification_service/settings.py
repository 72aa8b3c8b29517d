"""Typed settings of the notification service (nothing else reads the environment)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE_NAME: str = "notification"
    SERVICE_PORT: int = 8005
    API_PREFIX: str = "/api/notifications"
    # Each handler is database work on one connection (no SMTP inside); the mail sender
    # holds one more while it sends a batch.
    AMQP_PREFETCH: int = 8
    # Notification publishes no message: its outbox stays empty, and the relay's sweep of it
    # (two transactions a round) was most of the idle process's CPU at the shared 0.5 s.
    OUTBOX_POLL_SECONDS: float = 5.0

    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 1025
    SMTP_FROM: str = "Ticketing <no-reply@ticketing.local>"
    SMTP_TIMEOUT_SECONDS: float = 10

    # The mail sender: queued emails are sent in batches of at most MAIL_BATCH_SIZE over one
    # SMTP connection (kept open while mail keeps coming), MAIL_LINGER_SECONDS after a handler
    # commits one (so that a batch gathers what the next commits bring), and every
    # MAIL_POLL_SECONDS (retries that came due, anything left by a crash).
    MAIL_BATCH_SIZE: int = Field(default=50, ge=1, le=1000)
    MAIL_LINGER_SECONDS: float = Field(default=0.5, ge=0)
    MAIL_POLL_SECONDS: float = Field(default=5.0, gt=0)
    # A failed email waits base x 2^(attempts - 1) seconds, at most MAIL_RETRY_MAX_SECONDS,
    # and is given up (recorded failed for good) once it is MAIL_GIVE_UP_HOURS old.
    MAIL_RETRY_BASE_SECONDS: float = Field(default=2.0, gt=0)
    MAIL_RETRY_MAX_SECONDS: float = Field(default=600.0, gt=0)
    MAIL_GIVE_UP_HOURS: float = Field(default=24.0, gt=0)

    # Links in emails point here (the gateway).
    PUBLIC_BASE_URL: str = "http://localhost:8080"

    # Organizers' webhooks (webhooks/sender.py): http:// and loopback/private addresses only in
    # development (never with ENVIRONMENT=production); an attempt waits this long for an
    # answer; this many at once in the process, and for one endpoint; retried after base x
    # 2^(attempts - 1) seconds (at most the max, +-50 %) until GIVE_UP_HOURS after the message.
    WEBHOOK_ALLOW_PRIVATE: bool = False
    WEBHOOK_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=60)
    WEBHOOK_MAX_IN_FLIGHT: int = Field(default=32, ge=1, le=1000)
    WEBHOOK_PER_ENDPOINT: int = Field(default=4, ge=1, le=100)
    WEBHOOK_POLL_SECONDS: float = Field(default=1.0, gt=0)
    WEBHOOK_RETRY_BASE_SECONDS: float = Field(default=10.0, gt=0)
    WEBHOOK_RETRY_MAX_SECONDS: float = Field(default=3600.0, gt=0)
    WEBHOOK_GIVE_UP_HOURS: float = Field(default=24.0, gt=0)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.WEBHOOK_ALLOW_PRIVATE:
            problems.append("WEBHOOK_ALLOW_PRIVATE is on (webhooks to private addresses)")
        return problems
