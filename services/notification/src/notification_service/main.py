"""The composition root: settings, runtime, mailer and routes wired in one place."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from notification_service import handlers, routes
from notification_service.mailer import Mailer
from notification_service.service import Courier
from notification_service.settings import Settings
from shared.runtime import Runtime, service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def on_start(rt: Runtime) -> None:
        settings.TICKET_STORAGE_DIR.mkdir(parents=True, exist_ok=True)
        mailer = Mailer(
            host=settings.SMTP_HOST,
            port=settings.SMTP_PORT,
            sender=settings.SMTP_FROM,
            timeout=settings.SMTP_TIMEOUT_SECONDS,
        )
        rt.state.courier = Courier(settings=settings, mailer=mailer, sessionmaker=rt.sessionmaker)

    return service_app(
        settings,
        title="notification",
        description="Emails people what happened and serves their PDF tickets.",
        routers=[routes.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        on_start=on_start,
    )
