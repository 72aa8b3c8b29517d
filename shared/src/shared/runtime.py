"""What a service process holds while it runs, started and stopped by its lifespan.

Every service's ``main.py`` is one call::

    app = service_app(settings, title=..., routers=[...], migrations_dir=MIGRATIONS_DIR,
                      subscriptions=handlers.SUBSCRIPTIONS, build_context=build_context)

``Runtime[Settings, Context]`` holds the process's connections (database, Redis, broker, HTTP),
the outbox relay, the consumer and the revocation feed; ``build_context(rt)`` builds the
service's own frozen ``Context`` (what only that service owns: a hold store, a ticket signer, a
card processor, a mailer) and registers its periodic jobs with ``rt.every``. Routes get both
through ``SettingsDep``/``ContextDep`` (each service's ``deps.py``), handlers and jobs get the
context as an argument.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import httpx2
from fastapi import APIRouter, Depends, FastAPI, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from shared import db, idempotency
from shared import redis as shared_redis
from shared.contracts.auth import SessionRevokedV1
from shared.http import make_http_client
from shared.logging import configure_logging, get_logger
from shared.messaging import Broker, Consumer, Handler, Names, OutboxRelay
from shared.observability import DEAD_LETTERS
from shared.revocation import RevocationFeed, RevocationSource, parse_revocations
from shared.security import INTERNAL_TOKEN_HEADER, TokenVerifier
from shared.settings import ServiceSettings
from shared.stopping import StopListeners, calling_on_stop_signals
from shared.watch import Watch
from shared.web import ReadinessCheck, build_app

S = TypeVar("S", bound=ServiceSettings)
C = TypeVar("C")

Job = Callable[[C], Awaitable[object]]
ContextBuilder = Callable[["Runtime[S, C]"], Awaitable[C]]

log = get_logger("shared.runtime")


@dataclass
class _Periodic(Generic[C]):
    seconds: float
    job: Job[C]
    name: str


@dataclass
class Runtime(Generic[S, C]):
    """One service process's connections and its service's context (see the module doc)."""

    settings: S
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    broker: Broker
    http: httpx2.AsyncClient
    verifier: TokenVerifier
    relay: OutboxRelay
    consumer: Consumer
    revocation_feed: RevocationFeed
    _context: C | None = None
    _periodic: list[_Periodic[C]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _stopping: StopListeners = field(default_factory=StopListeners)

    @property
    def context(self) -> C:
        if self._context is None:
            raise RuntimeError("the service's context is built during start-up")
        return self._context

    def readiness(self) -> dict[str, ReadinessCheck]:
        return {
            "database": lambda: db.ping(self.engine),
            "redis": lambda: shared_redis.ping(self.redis),
            "broker": self.broker.ping,
        }

    def every(self, seconds: float, job: Job[C], *, name: str) -> None:
        """Run ``job(context)`` every ``seconds`` from start-up until shutdown; a failing run
        is logged, not fatal."""
        self._periodic.append(_Periodic(seconds, job, name))

    def on_stop(self, close: Callable[[], Awaitable[None]]) -> None:
        """``await close()`` at shutdown, before the shared connections close (what the
        service's context opened of its own)."""
        self._closers.append(close)

    def on_stop_signal(self, tell: Callable[[], None]) -> None:
        """``tell()`` as soon as the process is told to stop (SIGTERM, Ctrl-C), before the
        server waits for the open requests to end: for requests that would hold the stop (a
        ``?wait=N``, a live stream). ``shared.stopping`` says why."""
        self._stopping.add(tell)

    def add_watch(self, watch: Watch) -> Watch:
        """``watch``'s waiters answered at a stop signal, its recheck ended at shutdown."""
        self.on_stop_signal(watch.stop_waiting)
        self.on_stop(watch.aclose)
        return watch

    @property
    def jobs(self) -> list[str]:
        """The names of the periodic jobs, in the order they were registered."""
        return [periodic.name for periodic in self._periodic]

    async def run_job(self, name: str) -> None:
        """Run the periodic job ``name`` once now (tests, operators' tools)."""
        for periodic in self._periodic:
            if periodic.name == name:
                await periodic.job(self.context)
                return
        raise KeyError(f"no periodic job named {name!r}")

    def _start_periodic(self, periodic: _Periodic[C]) -> None:
        async def loop() -> None:
            task = asyncio.current_task()
            while True:
                try:
                    await periodic.job(self.context)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("periodic_job_failed", job=periodic.name)
                # a driver may swallow the cancellation that landed mid-query: honour it here
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError
                await asyncio.sleep(periodic.seconds)

        self._tasks.append(asyncio.create_task(loop(), name=periodic.name))

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        settings: S,
        *,
        migrations_dir: Path,
        build_context: ContextBuilder[S, C],
        subscriptions: Mapping[str, Handler[C]] | None = None,
        verifier: TokenVerifier | None = None,
        revocation_source: Callable[[Runtime[S, C]], RevocationSource] | None = None,
        idempotency_keys: bool = False,
    ) -> AsyncIterator[Runtime[S, C]]:
        configure_logging(settings.SERVICE_NAME, level=settings.LOG_LEVEL, json=settings.LOG_JSON)
        if settings.RUN_MIGRATIONS:
            await _retrying(
                lambda: db.run_migrations_in_child(migrations_dir, settings.DATABASE_URL)
            )
        runtime: Runtime[S, C] = await cls._connect(settings, subscriptions, verifier)
        if revocation_source is not None:
            runtime.revocation_feed.source = revocation_source(runtime)
        if idempotency_keys:
            runtime.every(3600, _purge_idempotency_keys(runtime), name="idempotency-key-purge")
        if subscriptions:
            runtime.every(
                settings.DEAD_LETTER_CHECK_SECONDS,
                _count_dead_letters(runtime),
                name="dead-letter-count",
            )
        try:
            runtime._context = await build_context(runtime)
            runtime.consumer.context = runtime._context
            await runtime.revocation_feed.start()
            runtime.relay.start()
            await runtime.consumer.start()
            for periodic in runtime._periodic:
                runtime._start_periodic(periodic)
            log.info(
                "service_started", port=settings.SERVICE_PORT, environment=settings.ENVIRONMENT
            )
            with calling_on_stop_signals(runtime._stopping.tell_all):
                yield runtime
        finally:
            await runtime._stop()

    @classmethod
    async def _connect(
        cls,
        settings: S,
        subscriptions: Mapping[str, Handler[C]] | None,
        verifier: TokenVerifier | None,
    ) -> Runtime[S, C]:
        """The pools and the broker connection, and what runs on them (not started yet)."""
        engine = db.make_engine(settings)
        http = make_http_client(settings)
        broker = Broker(settings.AMQP_URL, Names(settings.MESSAGING_NAMESPACE))
        await _retrying(broker.connect)
        sessionmaker = db.make_sessionmaker(engine, service=settings.SERVICE_NAME)
        verifier = verifier or TokenVerifier.from_settings(settings, http)
        service = settings.SERVICE_NAME
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            redis=shared_redis.make_redis(settings),
            broker=broker,
            http=http,
            verifier=verifier,
            relay=OutboxRelay(
                engine,
                broker,
                service=service,
                batch_size=settings.OUTBOX_BATCH_SIZE,
                poll_seconds=settings.OUTBOX_POLL_SECONDS,
                sweep_after=timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS),
            ),
            consumer=Consumer(
                broker,
                sessionmaker,
                service=service,
                subscriptions=subscriptions or {},
                prefetch=settings.AMQP_PREFETCH,
                delivery_limit=settings.AMQP_DELIVERY_LIMIT,
                batch_size=settings.AMQP_BATCH_SIZE,
                workers=settings.AMQP_CONSUMER_WORKERS,
                linger_seconds=settings.AMQP_BATCH_LINGER_SECONDS,
                fault_dir=settings.FAULT_DIR,
            ),
            revocation_feed=RevocationFeed(
                verifier.revocations,
                broker=broker,
                service=service,
                source=_revocations_from_auth(settings, http),
                sync_seconds=settings.REVOCATION_SYNC_SECONDS,
            ),
        )

    async def _stop(self) -> None:
        await self.consumer.stop()
        await self.relay.stop()
        await self.revocation_feed.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        for close in self._closers:
            await close()
        await db.settle()
        await self.broker.close()
        await self.http.aclose()
        await self.redis.aclose()
        await self.engine.dispose()
        log.info("service_stopped")


def _purge_idempotency_keys(runtime: Runtime[Any, Any]) -> Job[Any]:
    """The idempotency-key purge every service with ``Idempotency-Key`` POSTs runs."""
    keep = timedelta(hours=runtime.settings.IDEMPOTENCY_KEEP_HOURS)

    async def purge(_context: object) -> None:
        async with runtime.sessionmaker() as session, session.begin():
            await idempotency.purge(session, older_than=keep)

    return purge


def _count_dead_letters(runtime: Runtime[Any, Any]) -> Job[Any]:
    """Keeps ``ticketing_dead_letters{service}`` at the depth of the service's dead-letter
    queue (every consuming service runs it)."""
    gauge = DEAD_LETTERS.labels(runtime.settings.SERVICE_NAME)

    async def count(_context: object) -> None:
        depth = await runtime.consumer.dead_letters()
        if depth is not None:
            gauge.set(depth)

    return count


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


def runtime_of(request: Request) -> Runtime[Any, Any]:
    runtime: Runtime[Any, Any] = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime[Any, Any]:
    """A dependency (``async``: FastAPI runs plain ``def`` dependencies in a worker thread)."""
    return runtime_of(request)


async def settings_of(request: Request) -> Any:
    """For each service's ``SettingsDep = Annotated[Settings, Depends(settings_of)]``."""
    return request.app.state.settings


async def context_of(request: Request) -> Any:
    """For each service's ``ContextDep = Annotated[Context, Depends(context_of)]``."""
    return runtime_of(request).context


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


RuntimeDep = Annotated[Runtime[Any, Any], Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def readiness_of(request: Request) -> dict[str, ReadinessCheck]:
    """For ``build_app(readiness=...)``: the running runtime's checks."""
    runtime: Runtime[Any, Any] | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return {"startup": _not_started}
    return runtime.readiness()


async def _not_started() -> None:
    raise RuntimeError("the service is still starting")


def service_app(
    settings: S,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations_dir: Path,
    build_context: ContextBuilder[S, C],
    subscriptions: Mapping[str, Handler[C]] | None = None,
    verifier: TokenVerifier | None = None,
    revocation_source: Callable[[Runtime[S, C]], RevocationSource] | None = None,
    idempotency_keys: bool = False,
    middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """A service's app: the house HTTP edge (``shared.web.build_app``) plus a lifespan that
    starts the :class:`Runtime` — migrations, pools, context, outbox relay, consumers, jobs.

    ``idempotency_keys``: the service stores ``Idempotency-Key`` responses; the runtime purges
    them after ``IDEMPOTENCY_KEEP_HOURS``. ``middleware`` runs inside the request-id middleware.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime.start(
            settings,
            migrations_dir=migrations_dir,
            build_context=build_context,
            subscriptions=subscriptions,
            verifier=verifier,
            revocation_source=revocation_source,
            idempotency_keys=idempotency_keys,
        ) as runtime:
            app.state.runtime = runtime
            app.state.verifier = runtime.verifier
            yield

    app = build_app(
        settings,
        title=title,
        description=description,
        routers=routers,
        lifespan=lifespan,
        readiness=readiness_of,
    )
    app.user_middleware.extend(middleware)
    return app
