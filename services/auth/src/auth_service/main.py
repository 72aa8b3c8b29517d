"""The composition root: one ``service_app`` call wires settings, context, routes and messages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from auth_service import handlers
from auth_service.context import build_context, own_verifier, revocation_source
from auth_service.documents import FORM_OVERHEAD_BYTES, BodySizeLimit
from auth_service.routes import routers
from auth_service.settings import Settings
from shared.runtime import service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return service_app(
        settings,
        title="auth",
        description="Accounts, roles, sessions, organizer applications, the audit log and the "
        "access-token signing keys.",
        routers=routers,
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        build_context=build_context,
        verifier=own_verifier(settings),
        revocation_source=revocation_source,
        # Inside the request-id middleware, so its 413 carries the request id.
        middleware=[
            Middleware(
                BodySizeLimit,
                suffix="/organizer-applications",
                max_bytes=settings.ORGANIZER_DOCUMENT_MAX_BYTES + FORM_OVERHEAD_BYTES,
            )
        ],
    )
