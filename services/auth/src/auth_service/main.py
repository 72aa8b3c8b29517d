"""The composition root: settings, signing key, runtime, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from auth_service import passwords, routes, service
from auth_service.settings import Settings
from auth_service.tokens import TokenSigner, load_private_key
from shared.runtime import Runtime, readiness_of
from shared.security import TokenVerifier
from shared.web import build_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        key = load_private_key(settings.JWT_PRIVATE_KEY_PATH, create=settings.is_dev)
        signer = TokenSigner(
            key,
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS,
        )
        verifier = TokenVerifier(
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            jwks=signer.jwks,
            leeway=settings.JWT_LEEWAY_SECONDS,
        )
        app.state.signer = signer
        async with Runtime.start(
            settings, migrations_dir=MIGRATIONS_DIR, verifier=verifier, on_start=on_start
        ) as rt:
            app.state.runtime = rt
            app.state.verifier = rt.verifier
            yield

    return build_app(
        settings,
        title="auth",
        description="Accounts, roles, sessions and the access-token signing key.",
        routers=[routes.router, routes.well_known],
        lifespan=lifespan,
        readiness=readiness_of,
    )
