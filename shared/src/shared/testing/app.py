"""Run a service app in-process, lifespan and all, and talk to it over httpx2."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.settings import ServiceSettings
from shared.testing.infra import InfraUrls
from shared.testing.tokens import TestSigner


def service_settings(
    cls: type[ServiceSettings],
    *,
    infra: InfraUrls,
    database_url: str,
    namespace: str,
    signer: TestSigner | None = None,
    **overrides: Any,
) -> Any:
    """Settings for a service under test: its own database, namespace and key prefix."""
    values: dict[str, Any] = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": infra.redis,
        "REDIS_PREFIX": f"{namespace}:",
        "AMQP_URL": infra.amqp,
        "MESSAGING_NAMESPACE": namespace,
        "LOG_JSON": True,
        "OUTBOX_POLL_SECONDS": 0.2,
        "OUTBOX_SWEEP_AFTER_SECONDS": 1.0,
        # small pools: the suite's many services share one PostgreSQL (100 connections)
        "DB_POOL_SIZE": 3,
        "DB_MAX_OVERFLOW": 7,
    }
    if signer is not None:
        values["JWKS_JSON"] = signer.jwks_json
    values.update(overrides)
    return cls(**values)


@contextlib.asynccontextmanager
async def running_app(
    create_app: Callable[[Any], FastAPI], settings: ServiceSettings
) -> AsyncIterator[tuple[FastAPI, httpx2.AsyncClient]]:
    """The app with its lifespan running, and a client that calls it in-process."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


@dataclass(frozen=True)
class RunningService:
    """A service app with its lifespan running, and a client that calls it in-process."""

    app: FastAPI
    client: httpx2.AsyncClient

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@contextlib.asynccontextmanager
async def running_service(
    create_app: Callable[[Any], FastAPI], settings: ServiceSettings
) -> AsyncIterator[RunningService]:
    """For each service's session fixture ``running_service`` (see ``shared.testing.fixtures``)."""
    async with running_app(create_app, settings) as (app, client):
        yield RunningService(app, client)
