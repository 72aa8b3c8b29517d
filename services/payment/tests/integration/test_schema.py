"""The migrations build exactly the tables the ORM describes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from payment_service.orm import metadata
from shared.testing.schema import assert_migrations_match

pytestmark = pytest.mark.integration


async def test_migrated_schema_matches_orm_when_migrations_ran(runtime: Any) -> None:
    await assert_migrations_match(runtime.engine, metadata)


async def test_every_check_constraint_of_the_orm_exists_when_migrations_ran(runtime: Any) -> None:
    # compare_metadata does not compare check constraints: their names are checked here
    async with runtime.engine.connect() as conn:
        checks = await conn.scalars(
            text("SELECT conname FROM pg_constraint WHERE contype = 'c' ORDER BY conname")
        )
        names = set(checks.all())
    expected = {
        c.name
        for t in metadata.sorted_tables
        for c in t.constraints
        if c.name and str(c.name).startswith("ck_")
    }
    assert expected <= names
