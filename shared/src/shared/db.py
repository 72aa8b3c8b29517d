"""Async SQLAlchemy engine and session helpers, and Alembic migrations run at start-up."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import MetaData, Row, TextClause, event, pool, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from shared.logging import get_logger
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from alembic.config import Config

log = get_logger("shared.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Tables every service has, created by shared.messaging.schema in each service's first migration.
MESSAGING_TABLES = frozenset({"outbox_message", "processed_message"})

_MIGRATION_LOCK_ID = 7_331_001


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_metadata() -> MetaData:
    """Each service builds its own MetaData (services never share tables)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(settings: ServiceSettings, **overrides: Any) -> AsyncEngine:
    options: dict[str, Any] = {
        "pool_size": settings.DB_POOL_SIZE,
        "max_overflow": settings.DB_MAX_OVERFLOW,
        "pool_recycle": 1800,
        "connect_args": {
            "command_timeout": settings.DB_STATEMENT_TIMEOUT_MS / 1000,
            "server_settings": {
                "application_name": settings.SERVICE_NAME,
                "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS),
            },
        },
    }
    options.update(overrides)
    engine = create_async_engine(settings.DATABASE_URL, **options)
    ping_when_idle(engine, settings.DB_PING_AFTER_IDLE_SECONDS)
    return engine


_CHECKED_IN_AT = "shared.checked_in_at"


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle for ``idle_seconds``.

    ``pool_pre_ping`` pays a ``SELECT 1`` round trip on every checkout — 6–10 % of a busy
    service's CPU. A connection in constant use has just proved itself; one that sat idle may
    have been cut (a PostgreSQL restart, a proxy's idle timeout): only that one is pinged, and a
    dead one is replaced before anyone sees it.
    """
    pool = engine.sync_engine.pool

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool then opens a new connection and tries again
            raise DisconnectionError("a pooled connection was found dead") from exc

    event.listen(pool, "checkin", checkin)
    event.listen(pool, "checkout", checkout)


class ServiceSession(Session):
    """The sessions of a service: they know the service's name (the outbox's producer) and
    run the jobs registered with :func:`after_commit` once their transaction commits."""


_AFTER_COMMIT = "shared.after_commit"
_COUNT_ON_COMMIT = "shared.count_on_commit"
_SERVICE = "shared.service"
_running: set[asyncio.Task[None]] = set()


def make_sessionmaker(engine: AsyncEngine, *, service: str) -> async_sessionmaker[AsyncSession]:
    if not event.contains(ServiceSession, "after_commit", _run_after_commit):
        event.listen(ServiceSession, "after_commit", _run_after_commit)
        event.listen(ServiceSession, "after_rollback", _drop_after_commit)
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=ServiceSession,
        info={_SERVICE: service},
    )


def service_of(session: AsyncSession) -> str:
    """The name of the service whose sessionmaker made ``session``."""
    service: str = session.info[_SERVICE]
    return service


def after_commit(session: AsyncSession, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` once the session's transaction has committed (never if it rolls back).

    For effects outside PostgreSQL that would be wrong if the transaction failed — freeing
    seats in Redis that PostgreSQL still has sold, publishing the outbox's rows. The job runs as a
    task right after the commit; a failure is logged. If the process dies in between, the job
    never runs: use it only where that is safe (Redis stays on the safe side, the relay polls).
    The same job registered twice in one transaction runs once.
    """
    jobs = session.sync_session.info.setdefault(_AFTER_COMMIT, [])
    if job not in jobs:
        jobs.append(job)


class WakeUp:
    """Wakes a job that otherwise polls, once a transaction has committed work for it: the job
    waits with :meth:`wait` (woken or its poll interval over), a writer registers
    ``after_commit(session, wake_up.ring)``. Rung from the start, so what a crash left behind is
    picked up at start-up."""

    def __init__(self) -> None:
        self._rung = asyncio.Event()
        self._rung.set()

    async def ring(self) -> None:
        self._rung.set()

    async def wait(self, timeout: float) -> bool:
        """True when rung (at once if rung meanwhile), False after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._rung.wait(), timeout=timeout)
        except TimeoutError:
            return False
        finally:
            self._rung.clear()
        return True


async def _guarded(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception:
        log.exception("after_commit_failed")


class Countable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


def count_on_commit(session: AsyncSession, counter: Countable, amount: float = 1) -> None:
    """Add ``amount`` to ``counter`` once the session's transaction commits, never if it rolls
    back: business metrics count what happened, not what was tried (a batch handled again one
    message at a time counts each message once)."""
    session.sync_session.info.setdefault(_COUNT_ON_COMMIT, []).append((counter, amount))


def _run_after_commit(session: Session) -> None:
    for counter, amount in session.info.pop(_COUNT_ON_COMMIT, ()):
        counter.inc(amount)
    jobs = session.info.pop(_AFTER_COMMIT, [])
    if not jobs:
        return
    loop = asyncio.get_running_loop()
    for job in jobs:
        task = loop.create_task(_guarded(job))
        _running.add(task)
        task.add_done_callback(_running.discard)


def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.info.pop(_COUNT_ON_COMMIT, None)


async def settle() -> None:
    """Wait for after-commit jobs still running (tests, shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency body: one session per request, closed afterwards."""
    async with sessionmaker() as session:
        yield session


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine (same pool) for lone statements: PostgreSQL runs one atomically, on one
    snapshot, so a transaction block around it would only add BEGIN and COMMIT — two more round
    trips. A service's context keeps it as ``single``."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def fetch_alone(
    single: AsyncEngine, statement: TextClause, params: Mapping[str, Any]
) -> Row[Any] | None:
    """The first row of ``statement``, run as a transaction of its own on ``single`` (see
    :func:`single_statements`)."""
    async with single.connect() as connection:
        return (await connection.execute(statement, params)).first()


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    from alembic.config import Config  # here, not at the top: see run_migrations

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def run_migrations(migrations_dir: Path, database_url: str) -> None:
    """``alembic upgrade head`` in a worker thread (the async env.py starts its own loop).

    Alembic is imported here, not at the top: a process that does not migrate never loads it.
    """
    from alembic import command

    config = alembic_config(migrations_dir, database_url)
    await asyncio.to_thread(command.upgrade, config, "head")


class MigrationFailed(RuntimeError):
    """``python -m shared.migrate`` ended with an error (its last lines are the message)."""


async def run_migrations_in_child(migrations_dir: Path, database_url: str) -> None:
    """:func:`run_migrations` in a process of its own (``python -m shared.migrate``).

    How a server migrates on start: Alembic, Mako and the migration scripts (≈ 7 MB) would
    otherwise stay in its memory for as long as it runs. The URL goes by the environment, not
    the command line (which ``ps`` shows).
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.migrate",
        str(migrations_dir),
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await child.communicate()
    finally:
        if child.returncode is None:  # cancelled while it ran
            child.kill()
            await child.wait()
    if child.returncode != 0:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise MigrationFailed(f"migrations exited with {child.returncode}: " + " | ".join(tail))


def run_alembic_env(target_metadata: MetaData) -> None:
    """The whole body of every service's ``migrations/env.py``.

    Migrations of one database run one at a time (a PostgreSQL advisory lock), so several
    replicas starting together are safe.
    """
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set")

    def include_object(obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
        return not (type_ == "table" and name in MESSAGING_TABLES)

    def do_run(connection: Any) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as conn:
                await _locked_run(conn)
        finally:
            await engine.dispose()

    async def _locked_run(conn: AsyncConnection) -> None:
        await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        await conn.commit()
        try:
            await conn.run_sync(do_run)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
            await conn.commit()

    asyncio.run(online())
