"""Statements on their own, outside any transaction block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, TextClause
from sqlalchemy.ext.asyncio import AsyncEngine


def single_statements(engine: AsyncEngine) -> AsyncEngine:
    """The engine (same pool) for lone statements: PostgreSQL runs one atomically, on one
    snapshot, so a transaction block around it would only add BEGIN and COMMIT — two more round
    trips."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def fetch_alone(
    single: AsyncEngine, statement: TextClause, params: Mapping[str, Any]
) -> Row[Any] | None:
    """The first row of ``statement``, run as a transaction of its own on ``single`` (see
    :func:`single_statements`)."""
    async with single.connect() as connection:
        return (await connection.execute(statement, params)).first()
