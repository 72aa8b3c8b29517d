"""The composition root: settings, signing keys, runtime, routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from auth_service import handlers, passwords, service
from auth_service.documents import FORM_OVERHEAD_BYTES, BodySizeLimit
from auth_service.routes import routers
from auth_service.settings import Settings
from auth_service.tokens import TokenSigner
from shared.contracts.auth import SessionRevokedV1
from shared.keys import load_private_key, load_public_key
from shared.revocation import RevocationSource
from shared.runtime import Runtime, service_app
from shared.security import TokenVerifier

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Expired revocations are only dead rows (the query skips them): sweeping them now and then is
# enough.
REVOCATION_PRUNE_SECONDS = 600.0


def revocation_source(rt: Runtime) -> RevocationSource:
    """Auth's own deny-list sync reads its table: it cannot call its own HTTP endpoint before
    it serves (the other services call ``GET /internal/revocations``)."""

    async def read() -> list[SessionRevokedV1]:
        async with rt.sessionmaker() as session:
            return await service.revocations_in_force(session)

    return read


async def _prune_revocations(rt: Runtime) -> None:
    async with rt.sessionmaker() as session:
        await service.prune_revocations(session)


def make_signer(settings: Settings) -> TokenSigner:
    """The current signing key plus the previous keys still published during a rollover."""
    return TokenSigner(
        load_private_key(settings.JWT_PRIVATE_KEY_PATH, create=settings.is_dev),
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
        ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS,
        previous_keys=[load_public_key(path) for path in settings.previous_key_paths],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    async def on_start(rt: Runtime) -> None:
        await passwords.warm_up()
        async with rt.sessionmaker() as session:
            await service.ensure_admin(
                session,
                email=settings.ADMIN_EMAIL,
                password=settings.ADMIN_PASSWORD.get_secret_value(),
            )
        rt.every(REVOCATION_PRUNE_SECONDS, lambda: _prune_revocations(rt), name="auth-prune")

    signer = make_signer(settings)
    # Auth verifies its own tokens with the very key set it publishes.
    verifier = TokenVerifier(
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
        jwks=signer.jwks,
        leeway=settings.JWT_LEEWAY_SECONDS,
    )
    app = service_app(
        settings,
        title="auth",
        description="Accounts, roles, sessions, organizer applications, the audit log and the "
        "access-token signing keys.",
        routers=routers,
        migrations_dir=MIGRATIONS_DIR,
        subscriptions=handlers.SUBSCRIPTIONS,
        verifier=verifier,
        on_start=on_start,
        revocation_source=revocation_source,
    )
    app.state.signer = signer
    # Innermost (inside the request-id middleware), so its 413 carries the request id.
    app.user_middleware.append(
        Middleware(
            BodySizeLimit,
            suffix="/organizer-applications",
            max_bytes=settings.ORGANIZER_DOCUMENT_MAX_BYTES + FORM_OVERHEAD_BYTES,
        )
    )
    return app
