"""The migrations build exactly the tables the ORM describes."""

from __future__ import annotations

from typing import Any

import pytest

from event_service.orm import metadata
from shared.testing.schema import assert_migrations_match

pytestmark = pytest.mark.integration


async def test_migrated_schema_matches_orm_when_migrations_ran(runtime: Any) -> None:
    await assert_migrations_match(runtime.engine, metadata)
