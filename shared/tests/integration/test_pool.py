"""Pooled connections: a connection that sat idle is checked before use, and replaced if dead."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from shared.db import make_engine

pytestmark = pytest.mark.integration


async def _backend_pid(engine: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


async def test_dead_idle_connection_is_replaced_before_use_when_it_was_idle(
    sample_settings: Any,
) -> None:
    idle = sample_settings.model_copy(update={"DB_POOL_SIZE": 1, "DB_PING_AFTER_IDLE_SECONDS": 0})
    engine, other = make_engine(idle), make_engine(idle)
    try:
        first = await _backend_pid(engine)
        async with other.connect() as admin:  # as a restart or an idle timeout would
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        second = await _backend_pid(engine)  # no error: the dead one was replaced first
        assert second != first
    finally:
        await engine.dispose()
        await other.dispose()


async def test_busy_connection_is_used_without_a_ping_when_it_was_just_returned(
    sample_settings: Any,
) -> None:
    busy = sample_settings.model_copy(update={"DB_POOL_SIZE": 1, "DB_PING_AFTER_IDLE_SECONDS": 60})
    engine = make_engine(busy)
    statements: list[str] = []
    try:
        first = await _backend_pid(engine)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        assert await _backend_pid(engine) == first
        assert statements == ["SELECT pg_backend_pid()"]
    finally:
        await engine.dispose()
