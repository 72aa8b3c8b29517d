"""``shared.db.count_on_commit``: business metrics count what committed, not what was tried."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import text

from shared.db import count_on_commit

pytestmark = pytest.mark.integration


def _counter() -> tuple[Counter, CollectorRegistry]:
    registry = CollectorRegistry()
    return Counter("sample_outcomes", "test", ["outcome"], registry=registry), registry


def _read(registry: CollectorRegistry, outcome: str) -> float | None:
    return registry.get_sample_value("sample_outcomes_total", {"outcome": outcome})


async def test_counter_moves_only_when_the_transaction_commits(sample: Any) -> None:
    app, _ = sample
    sessionmaker = app.state.runtime.sessionmaker
    counter, registry = _counter()

    async with sessionmaker() as session, session.begin():
        await session.execute(text("SELECT 1"))
        count_on_commit(session, counter.labels("done"), 3)
        assert _read(registry, "done") == 0  # not before the commit

    assert _read(registry, "done") == 3


async def test_counter_stays_when_the_transaction_rolls_back(sample: Any) -> None:
    app, _ = sample
    sessionmaker = app.state.runtime.sessionmaker
    counter, registry = _counter()

    with pytest.raises(RuntimeError):
        async with sessionmaker() as session, session.begin():
            count_on_commit(session, counter.labels("tried"))
            raise RuntimeError("the business transaction fails")
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SELECT 1"))  # the next transaction does not inherit it

    assert _read(registry, "tried") == 0
