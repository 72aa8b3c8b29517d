"""The migrations build exactly the tables the ORM describes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from notification_service.orm import metadata
from shared.db import MESSAGING_TABLES

pytestmark = pytest.mark.integration


def _not_messaging(_obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
    return not (type_ == "table" and name in MESSAGING_TABLES)


async def test_migrated_schema_matches_orm_when_migrations_ran(notification: Any) -> None:
    app, _client = notification
    async with app.state.runtime.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"include_object": _not_messaging, "compare_type": True}
                ),
                metadata,
            )
        )
        checks = await conn.scalars(
            text("SELECT conname FROM pg_constraint WHERE contype = 'c' ORDER BY conname")
        )
        names = set(checks.all())
    assert diff == []
    expected = {
        c.name
        for t in metadata.sorted_tables
        for c in t.constraints
        if c.name and str(c.name).startswith("ck_")
    }
    assert expected <= names
