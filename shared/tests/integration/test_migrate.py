"""A server migrates in a child process (``shared.migrate``), so it never keeps Alembic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared import db

MIGRATIONS = Path(__file__).parent / "sample_migrations"


async def test_the_child_migrates_the_database_to_head(
    make_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await make_database("sample")
    await db.run_migrations_in_child(MIGRATIONS, url)
    await db.run_migrations_in_child(MIGRATIONS, url)  # at head already: nothing to do
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            effects = await conn.execute(text("SELECT count(*) FROM sample_effect"))
    finally:
        await engine.dispose()
    assert version == "0001"
    assert effects.scalar() == 0


async def test_a_child_that_fails_says_why(
    make_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await make_database("sample")
    missing = url.rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(db.MigrationFailed, match=r"exited with 1: .*no_such_database_here"):
        await db.run_migrations_in_child(MIGRATIONS, missing)
    with pytest.raises(db.MigrationFailed, match="exited with 1"):
        await db.run_migrations_in_child(MIGRATIONS / "missing", url)
