"""Round trips to PostgreSQL, for tests of hot paths: what a piece of code sends — its
statements (as SQLAlchemy runs them) and its transaction control (BEGIN, COMMIT, ROLLBACK,
SAVEPOINT…, as the asyncpg connection sends them) — counted for the calling task (and the tasks
it starts) only, so the service's background jobs do not blur the count. A regression on a hot
path shows as a longer list."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START")


@dataclass
class RoundTrips:
    statements: list[str] = field(default_factory=list)
    control: list[str] = field(default_factory=list)  # first word of each, e.g. "BEGIN"

    def count(self) -> int:
        return len(self.statements) + len(self.control)


_current: contextvars.ContextVar[RoundTrips | None] = contextvars.ContextVar(
    "round_trips", default=None
)


def _on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    trips = _current.get()
    if trips is not None:
        trips.statements.append(" ".join(statement.split()))


def _on_query(record: Any) -> None:
    trips = _current.get()
    words = record.query.split()
    if trips is not None and words and words[0].upper().rstrip(";") in _CONTROL:
        trips.control.append(words[0].upper().rstrip(";"))


def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    dbapi_connection.driver_connection.add_query_logger(_on_query)


def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
    if dbapi_connection is not None:
        dbapi_connection.driver_connection.remove_query_logger(_on_query)


@contextlib.asynccontextmanager
async def counting(engine: AsyncEngine) -> AsyncIterator[RoundTrips]:
    """``async with counting(runtime.engine) as trips:`` — what the body sent."""
    trips = RoundTrips()
    sync = engine.sync_engine
    listeners: list[tuple[Any, str, Callable[..., Any]]] = [
        (sync, "before_cursor_execute", _on_statement),
        (sync.pool, "checkout", _on_checkout),
        (sync.pool, "checkin", _on_checkin),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    token = _current.set(trips)
    try:
        yield trips
        await asyncio.sleep(0)  # asyncpg reports a query on the loop's next round
    finally:
        _current.reset(token)
        for target, name, listener in listeners:
            event.remove(target, name, listener)
