"""Messages that wait together are handled in one transaction; one bad message never holds up
the others (the batch falls back to one message at a time)."""

from __future__ import annotations

import uuid
from typing import Any

import aio_pika
import pytest
from sqlalchemy import event, text

from shared.contracts.event import EventCancelledV1
from shared.messaging import Envelope, Names
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


def _cancelled(title: str, reason: str | None = None) -> Envelope[Any]:
    return Envelope.wrap(
        EventCancelledV1(
            event_id=uuid.uuid4(), organizer_id=uuid.uuid4(), title=title, reason=reason
        ),
        producer="event",
    )


async def _notes(rt: Any, prefix: str) -> list[str]:
    async with rt.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT note FROM sample_effect WHERE note LIKE :p ORDER BY note"),
            {"p": f"{prefix}%"},
        )
        return [row[0] for row in rows]


async def test_batch_claims_once_and_skips_duplicates_when_handled_together(sample: Any) -> None:
    app, _ = sample
    consumer = app.state.runtime.consumer
    handler = consumer.subscriptions["event.cancelled"]
    prefix = f"batch-{uuid.uuid4().hex[:6]}"
    first, second = _cancelled(f"{prefix}-a"), _cancelled(f"{prefix}-b")
    assert await consumer.handle(first, handler) == "handled"
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        outcomes = await consumer.handle_many(
            [(first, handler), (second, handler), (second, handler)]
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcomes == ["duplicate", "handled", "duplicate"]
    assert await _notes(app.state.runtime, prefix) == [f"{prefix}-a", f"{prefix}-b"]
    # one inbox statement for the three, one effect for the one new message
    assert sum("processed_message" in s for s in statements) == 1
    assert sum("sample_effect" in s for s in statements) == 1


async def test_failing_message_rolls_the_batch_back_when_handled_together(sample: Any) -> None:
    app, _ = sample
    consumer = app.state.runtime.consumer
    handler = consumer.subscriptions["event.cancelled"]
    prefix = f"rollback-{uuid.uuid4().hex[:6]}"
    good, bad = _cancelled(f"{prefix}-good"), _cancelled(f"{prefix}-bad", reason="explode")
    with pytest.raises(RuntimeError):
        await consumer.handle_many([(good, handler), (bad, handler)])
    assert await _notes(app.state.runtime, prefix) == []
    # alone, the good one goes through (what the worker does after a failed batch)
    assert await consumer.handle(good, handler) == "handled"
    assert await _notes(app.state.runtime, prefix) == [f"{prefix}-good"]


async def test_burst_with_one_bad_message_handles_every_good_one_once(
    sample: Any, sample_settings: Any
) -> None:
    app, _ = sample
    prefix = f"burst-{uuid.uuid4().hex[:6]}"
    envelopes = [_cancelled(f"{prefix}-{n:02d}") for n in range(30)]
    envelopes.insert(13, _cancelled(f"{prefix}-boom", reason="explode"))
    connection = await aio_pika.connect(sample_settings.AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(Names(sample_settings.MESSAGING_NAMESPACE).exchange)
        for envelope in envelopes:
            await exchange.publish(
                aio_pika.Message(envelope.to_json(), message_id=str(envelope.id)),
                routing_key=envelope.type,
            )
    expected = [f"{prefix}-{n:02d}" for n in range(30)]
    notes = await eventually(
        lambda: _notes(app.state.runtime, prefix),
        until=lambda found: found == expected,
        timeout=20,
        what="every good message handled once",
    )
    assert notes == expected


async def test_outbox_gauges_show_what_waits_when_a_row_is_left_unsent(sample: Any) -> None:
    from prometheus_client import REGISTRY

    from shared.messaging import outbox

    app, _ = sample
    rt = app.state.runtime
    await rt.relay.stop()  # nothing publishes it: the row waits
    try:
        async with rt.sessionmaker() as session, session.begin():
            await outbox.add(session, _cancelled(f"wait-{uuid.uuid4().hex[:6]}").data)
        assert await rt.relay.pending() >= 1
        oldest = REGISTRY.get_sample_value(
            "ticketing_outbox_oldest_pending_seconds", {"service": "sample"}
        )
        assert oldest is not None and oldest >= 0
    finally:
        rt.relay.start()
    assert await eventually(rt.relay.pending, until=lambda n: n == 0, timeout=15) == 0
