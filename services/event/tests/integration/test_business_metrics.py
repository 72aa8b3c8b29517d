"""``ticketing_holds_total{outcome}`` and ``ticketing_oversold_seats`` (DESIGN.md,
"Observability"): every outcome is counted once, refusals by their reason, and the oversell
gauge reads PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from event_service.context import Context
from event_service.settings import Settings
from shared.http import internal_headers
from shared.runtime import Runtime
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


def holds(outcome: str) -> float:
    return REGISTRY.get_sample_value("ticketing_holds_total", {"outcome": outcome}) or 0.0


def oversold() -> float | None:
    return REGISTRY.get_sample_value("ticketing_oversold_seats", {"service": "event"})


async def test_every_hold_outcome_reads_zero_or_more_before_any_hold_when_scraped(
    client: httpx2.AsyncClient,
) -> None:
    for outcome in ("created", "conflict", "limit", "closed", "released", "expired", "claimed"):
        assert REGISTRY.get_sample_value("ticketing_holds_total", {"outcome": outcome}) is not None


async def test_holds_are_counted_by_outcome_when_taken_refused_released_and_claimed(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    holds_path: Any,
    settings: Settings,
) -> None:
    event = await make_event(max_tickets_per_order=2)
    owner, rival = buyer(), buyer()
    before = {o: holds(o) for o in ("created", "conflict", "limit", "closed", "released")}

    kept = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=owner["headers"]
    )
    let_go = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=owner["headers"]
    )
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=rival["headers"]
    )
    too_many = await client.post(
        holds_path(event), json={"seat_ids": ["B-C-1", "B-C-2", "B-C-3"]}, headers=rival["headers"]
    )
    released = await client.delete(
        f"{holds_path(event)}/{let_go.json()['hold_id']}", headers=owner["headers"]
    )
    unknown = await client.post(
        holds_path(event), json={"seat_ids": ["Z-Z-9"]}, headers=rival["headers"]
    )

    assert [kept.status_code, let_go.status_code, taken.status_code] == [201, 201, 409]
    assert [too_many.status_code, released.status_code, unknown.status_code] == [409, 204, 422]
    assert holds("created") - before["created"] == 2
    assert holds("conflict") - before["conflict"] == 1
    assert holds("limit") - before["limit"] == 1
    assert holds("released") - before["released"] == 1
    assert holds("closed") == before["closed"]  # a bad request is not an outcome

    claimed_before = holds("claimed")
    claim = await client.post(
        f"/internal/holds/{kept.json()['hold_id']}/claim",
        json={"user_id": str(owner["id"]), "extend_seconds": 900},
        headers=internal_headers(settings),
    )
    assert claim.status_code == 200
    assert holds("claimed") - claimed_before == 1


async def test_hold_is_counted_closed_when_the_event_is_not_on_sale_yet(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event(sales_start_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    before = holds("closed")

    response = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=buyer()["headers"]
    )

    assert response.status_code == 409 and response.json()["error"] == "sales_closed"
    assert holds("closed") - before == 1


async def test_lapsed_general_admission_hold_is_counted_expired_when_the_sweeper_returns_it(
    make_event: Any, buyer: Any, hold_of: Any, lapse: Any
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"tier": "floor", "quantity": 3})
    before = holds("expired")

    await lapse(hold)

    async def expired_since() -> float:
        return holds("expired") - before

    await eventually(
        expired_since, until=lambda n: n >= 1, timeout=5, what="the lapsed hold counted"
    )


async def test_oversold_reads_zero_then_the_places_sold_past_capacity_when_a_tier_is_oversold(
    runtime: Runtime[Settings, Context], context: Context, make_event: Any
) -> None:
    await runtime.run_job("event-oversold-check")
    assert oversold() == 0

    event = await make_event()
    booking_id = uuid.uuid4()
    async with context.sessionmaker() as session, session.begin():
        # what no code path can do: 12 places of a 10-place tier
        await session.execute(
            text(
                "INSERT INTO ga_sale (booking_id, tier_code, event_id, quantity) "
                "VALUES (:b, 'floor', :e, 12)"
            ),
            {"b": booking_id, "e": uuid.UUID(event["id"])},
        )
    try:
        await runtime.run_job("event-oversold-check")
        assert oversold() == 2
    finally:
        async with context.sessionmaker() as session, session.begin():
            await session.execute(
                text("DELETE FROM ga_sale WHERE booking_id = :b"), {"b": booking_id}
            )
    await runtime.run_job("event-oversold-check")
    assert oversold() == 0
