"""What a service process holds while it runs, started and stopped by its lifespan.

``main.py`` of every service is the one place that wires a :class:`Runtime`::

    async with Runtime.start(settings, migrations_dir=..., subscriptions=SUBSCRIPTIONS) as rt:
        app.state.runtime = rt
        yield
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import httpx2
from fastapi import APIRouter, Depends, FastAPI, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from shared import db
from shared import redis as shared_redis
from shared.contracts.auth import SessionRevokedV1
from shared.http import make_http_client
from shared.logging import configure_logging, get_logger
from shared.messaging import Broker, Consumer, Handler, Names, OutboxRelay
from shared.revocation import RevocationFeed, RevocationSource, parse_revocations
from shared.security import INTERNAL_TOKEN_HEADER, TokenVerifier
from shared.settings import ServiceSettings
from shared.web import ReadinessCheck, build_app

log = get_logger("shared.runtime")


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    broker: Broker
    http: httpx2.AsyncClient
    verifier: TokenVerifier
    relay: OutboxRelay
    consumer: Consumer
    revocation_feed: RevocationFeed
    state: SimpleNamespace = field(default_factory=SimpleNamespace)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {
            "database": lambda: db.ping(self.engine),
            "redis": lambda: shared_redis.ping(self.redis),
            "broker": self.broker.ping,
        }

    def every(self, seconds: float, job: Callable[[], Awaitable[Any]], *, name: str) -> None:
        """Run ``job`` every ``seconds`` until shutdown; a failing run is logged, not fatal."""

        async def loop() -> None:
            task = asyncio.current_task()
            while True:
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("periodic_job_failed", job=name)
                # a driver may swallow the cancellation that landed mid-query: honour it here
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError
                await asyncio.sleep(seconds)

        self._tasks.append(asyncio.create_task(loop(), name=name))

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        settings: ServiceSettings,
        *,
        migrations_dir: Path,
        subscriptions: Mapping[str, Handler] | None = None,
        verifier: TokenVerifier | None = None,
        on_start: Callable[[Runtime], Awaitable[None]] | None = None,
        revocation_source: Callable[[Runtime], RevocationSource] | None = None,
    ) -> AsyncIterator[Runtime]:
        configure_logging(settings.SERVICE_NAME, level=settings.LOG_LEVEL, json=settings.LOG_JSON)
        if settings.RUN_MIGRATIONS:
            await _retrying(lambda: db.run_migrations(migrations_dir, settings.DATABASE_URL))
        engine = db.make_engine(settings)
        redis = shared_redis.make_redis(settings)
        http = make_http_client(settings)
        broker = Broker(settings.AMQP_URL, Names(settings.MESSAGING_NAMESPACE))
        await _retrying(broker.connect)
        sessionmaker = db.make_sessionmaker(engine)
        verifier = verifier or TokenVerifier.from_settings(settings, http)
        runtime = cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            redis=redis,
            broker=broker,
            http=http,
            verifier=verifier,
            relay=OutboxRelay(
                engine,
                broker,
                service=settings.SERVICE_NAME,
                batch_size=settings.OUTBOX_BATCH_SIZE,
                poll_seconds=settings.OUTBOX_POLL_SECONDS,
            ),
            consumer=Consumer(
                broker,
                sessionmaker,
                service=settings.SERVICE_NAME,
                subscriptions=subscriptions or {},
                prefetch=settings.AMQP_PREFETCH,
                delivery_limit=settings.AMQP_DELIVERY_LIMIT,
            ),
            revocation_feed=RevocationFeed(
                verifier.revocations,
                broker=broker,
                service=settings.SERVICE_NAME,
                source=_revocations_from_auth(settings, http),
                sync_seconds=settings.REVOCATION_SYNC_SECONDS,
            ),
        )
        if revocation_source is not None:
            runtime.revocation_feed.source = revocation_source(runtime)
        runtime.consumer.context = runtime
        try:
            if on_start is not None:
                await on_start(runtime)
            await runtime.revocation_feed.start()
            runtime.relay.start()
            await runtime.consumer.start()
            log.info(
                "service_started", port=settings.SERVICE_PORT, environment=settings.ENVIRONMENT
            )
            yield runtime
        finally:
            await runtime.consumer.stop()
            await runtime.relay.stop()
            await runtime.revocation_feed.stop()
            for task in runtime._tasks:
                task.cancel()
            if runtime._tasks:
                await asyncio.wait(runtime._tasks, timeout=10)
            await broker.close()
            await http.aclose()
            await redis.aclose()
            await engine.dispose()
            log.info("service_stopped")


def _revocations_from_auth(settings: ServiceSettings, http: httpx2.AsyncClient) -> RevocationSource:
    """Auth's list of the revocations still in force (a service's start-up sync)."""

    async def fetch() -> list[SessionRevokedV1]:
        response = await http.get(
            f"{settings.AUTH_URL}/internal/revocations",
            headers={INTERNAL_TOKEN_HEADER: settings.INTERNAL_TOKEN.get_secret_value()},
            timeout=3,
        )
        response.raise_for_status()
        return parse_revocations(response.json())

    return fetch


async def _retrying(step: Callable[[], Awaitable[None]], *, seconds: float = 30) -> None:
    """Dependencies may still be starting (compose, a restarted server): keep trying a while."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(seconds), wait=wait_exponential(min=0.2, max=3), reraise=True
    ):
        with attempt:
            await step()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    """A dependency (``async``: FastAPI runs plain ``def`` dependencies in a worker thread)."""
    return runtime_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def readiness_of(request: Request) -> dict[str, ReadinessCheck]:
    """For ``build_app(readiness=...)``: the running runtime's checks."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return {"startup": _not_started}
    return runtime.readiness()


async def _not_started() -> None:
    raise RuntimeError("the service is still starting")


def service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations_dir: Path,
    subscriptions: Mapping[str, Handler] | None = None,
    verifier: TokenVerifier | None = None,
    on_start: Callable[[Runtime], Awaitable[None]] | None = None,
    revocation_source: Callable[[Runtime], RevocationSource] | None = None,
) -> FastAPI:
    """A service's app: the house HTTP edge (``shared.web.build_app``) plus a lifespan that
    starts the :class:`Runtime` — migrations, pools, outbox relay, consumers, ``on_start``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime.start(
            settings,
            migrations_dir=migrations_dir,
            subscriptions=subscriptions,
            verifier=verifier,
            on_start=on_start,
            revocation_source=revocation_source,
        ) as runtime:
            app.state.runtime = runtime
            app.state.verifier = runtime.verifier
            yield

    return build_app(
        settings,
        title=title,
        description=description,
        routers=routers,
        lifespan=lifespan,
        readiness=readiness_of,
    )
