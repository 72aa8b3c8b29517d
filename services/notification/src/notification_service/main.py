"""The composition root: the notification app is one ``service_app`` call."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from notification_service import handlers, routes
from notification_service.context import build_context
from notification_service.settings import Settings
from notification_service.webhooks import routes as webhook_routes
from shared.runtime import service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return service_app(
        settings or Settings(),
        title="notification",
        description=(
            "Emails people what happened, serves their PDF tickets, and tells organizers' "
            "systems by signed webhooks."
        ),
        routers=[routes.router, webhook_routes.router],
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        build_context=build_context,
    )
