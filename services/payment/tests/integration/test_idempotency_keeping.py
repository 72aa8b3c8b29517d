"""Idempotency-Keys: a replay says so (``Idempotent-Replayed: true``, as booking's does); keys
are kept at least 24 hours (API.md), then purged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration


async def test_keys_younger_than_the_keeping_time_survive_the_purge_when_old_ones_go(
    runtime: Any, context: Any, fetch: Any
) -> None:
    user = uuid.uuid4()
    ages = {"fresh": 0, "a-day-old": 25, "past-keeping": 49}
    async with runtime.engine.begin() as conn:
        for key, hours in ages.items():
            await conn.execute(
                text(
                    "INSERT INTO idempotency_key (user_id, key, request_hash, created_at) "
                    "VALUES (:u, :k, 'h', now() - make_interval(hours => :h))"
                ),
                {"u": user, "k": key, "h": hours},
            )
    assert runtime.settings.IDEMPOTENCY_KEEP_HOURS == 48
    # payment asked the runtime for its purge (service_app(..., idempotency_keys=True))
    assert "idempotency-key-purge" in runtime.jobs
    await runtime.run_job("idempotency-key-purge")

    rows = await fetch("SELECT key FROM idempotency_key WHERE user_id = :u ORDER BY key", u=user)
    assert [r[0] for r in rows] == ["a-day-old", "fresh"]


async def test_replay_carries_idempotent_replayed_when_same_key_and_body(
    make_booking: Any, pay: Any, processor: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    first = await pay(user, booking.booking_id, key="replay-header")
    charges = len(processor.charges)

    again = await pay(user, booking.booking_id, key="replay-header")

    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(processor.charges) == charges  # nothing charged again


async def test_fresh_request_has_no_replay_header_when_the_key_is_new(
    make_booking: Any, pay: Any
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    response = await pay(user, booking.booking_id, key=f"new-{uuid.uuid4()}")
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
