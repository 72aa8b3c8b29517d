"""Async SQLAlchemy engine and session helpers, and Alembic migrations run at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import ServiceSettings

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
        "pool_pre_ping": True,
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
    return create_async_engine(settings.DATABASE_URL, **options)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency body: one session per request, closed afterwards."""
    async with sessionmaker() as session:
        yield session


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def run_migrations(migrations_dir: Path, database_url: str) -> None:
    """``alembic upgrade head`` in a worker thread (the async env.py starts its own loop)."""
    config = alembic_config(migrations_dir, database_url)
    await asyncio.to_thread(command.upgrade, config, "head")


def run_alembic_env(target_metadata: MetaData) -> None:
    """The whole body of every service's ``migrations/env.py``.

    Migrations of one database run one at a time (a PostgreSQL advisory lock), so several
    replicas starting together are safe.
    """
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

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
