"""The migrations build exactly the tables the ORM describes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from event_service.orm import metadata
from shared.db import MESSAGING_TABLES
from shared.runtime import Runtime

pytestmark = pytest.mark.integration


def _not_messaging(_obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
    return not (type_ == "table" and name in MESSAGING_TABLES)


async def test_migrated_schema_matches_orm_when_migrations_ran(runtime: Runtime) -> None:
    async with runtime.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"include_object": _not_messaging, "compare_type": True}
                ),
                metadata,
            )
        )
    assert diff == []
