"""The migrations build exactly the tables the ORM describes (every service tests this)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import MESSAGING_TABLES


def _not_messaging(_obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
    return not (type_ == "table" and name in MESSAGING_TABLES)


async def assert_migrations_match(engine: AsyncEngine, metadata: MetaData) -> None:
    """Fail with the differences when the migrated database and ``metadata`` disagree."""
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"include_object": _not_messaging, "compare_type": True}
                ),
                metadata,
            )
        )
    assert diff == [], f"migrations and ORM differ: {diff}"
