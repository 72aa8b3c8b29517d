"""Outbox → relay → broker → consumer → inbox, on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aio_pika
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared.contracts.event import EventCancelledV1
from shared.messaging import Envelope, Names
from shared.testing.eventually import eventually

pytestmark = pytest.mark.integration


async def _effects(rt: Any, note: str) -> int:
    async with rt.engine.connect() as conn:
        return int(
            await conn.scalar(
                text("SELECT count(*) FROM sample_effect WHERE note = :n"), {"n": note}
            )
        )


async def _publish_raw(sample_settings: Any, body: bytes, routing_key: str) -> None:
    connection = await aio_pika.connect(sample_settings.AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(Names(sample_settings.MESSAGING_NAMESPACE).exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=str(uuid.uuid4())), routing_key=routing_key
        )


async def test_outbox_message_reaches_the_consumer_and_is_marked_sent(sample: Any) -> None:
    app, client = sample
    rt = app.state.runtime
    note = f"show-{uuid.uuid4().hex[:6]}"
    response = await client.post("/api/sample/announce", json={"title": note})
    message_id = response.json()["id"]
    await eventually(lambda: _effects(rt, note), until=lambda n: n == 1, what="handled effect")

    async def published_at() -> Any:
        async with rt.engine.connect() as conn:
            return await conn.scalar(
                text("SELECT published_at FROM outbox_message WHERE id = :id"), {"id": message_id}
            )

    assert await eventually(published_at, what="row marked published") is not None


async def test_duplicate_delivery_changes_nothing_when_id_was_handled(
    sample: Any, sample_settings: Any
) -> None:
    app, _ = sample
    rt = app.state.runtime
    note = f"dup-{uuid.uuid4().hex[:6]}"
    envelope = Envelope.wrap(
        EventCancelledV1(event_id=uuid.uuid4(), organizer_id=uuid.uuid4(), title=note),
        producer="test",
    )
    for _ in range(3):
        await _publish_raw(sample_settings, envelope.to_json(), envelope.type)
    await eventually(lambda: _effects(rt, note), until=lambda n: n >= 1, what="first handling")

    async def processed() -> int:
        async with rt.engine.connect() as conn:
            return int(
                await conn.scalar(
                    text("SELECT count(*) FROM processed_message WHERE message_id = :id"),
                    {"id": envelope.id},
                )
            )

    await eventually(processed, until=lambda n: n == 1)
    await asyncio.sleep(0.5)  # give the two duplicates time to (not) do anything
    assert await _effects(rt, note) == 1


async def _dead_letters(settings: Any) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(settings.AMQP_URL)
    got = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(
            Names(settings.MESSAGING_NAMESPACE).dead_letter_queue("sample")
        )
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            got.append(message)
            await message.ack()
    return got


async def test_poison_message_goes_to_dead_letter_queue_at_once(
    sample: Any, sample_settings: Any
) -> None:
    await _publish_raw(sample_settings, b"{not json", "event.cancelled")
    letters = await eventually(
        lambda: _dead_letters(sample_settings),
        until=lambda got: any(m.body == b"{not json" for m in got),
        what="dead letter",
    )
    assert b"{not json" in {m.body for m in letters}


async def test_failing_handler_is_retried_then_dead_lettered_after_delivery_limit(
    sample: Any, sample_settings: Any
) -> None:
    app, _ = sample
    rt = app.state.runtime
    envelope = Envelope.wrap(
        EventCancelledV1(
            event_id=uuid.uuid4(), organizer_id=uuid.uuid4(), title="boom", reason="explode"
        ),
        producer="test",
    )
    await _publish_raw(sample_settings, envelope.to_json(), envelope.type)
    letters = await eventually(
        lambda: _dead_letters(sample_settings),
        until=lambda got: any(Envelope.from_json(m.body).id == envelope.id for m in got),
        timeout=30,
        what="dead letter after retries",
    )
    assert envelope.id in {Envelope.from_json(m.body).id for m in letters}
    async with rt.engine.connect() as conn:
        claimed = await conn.scalar(
            text("SELECT count(*) FROM processed_message WHERE message_id = :id"),
            {"id": envelope.id},
        )
    assert claimed == 0  # the failed handler's inbox claim rolled back with it


async def test_relay_keeps_rows_pending_while_broker_refuses_then_sends(sample: Any) -> None:
    app, _ = sample
    rt = app.state.runtime
    await rt.relay.stop()
    try:
        note = f"later-{uuid.uuid4().hex[:6]}"
        from shared.messaging import outbox

        async with rt.sessionmaker() as session, session.begin():
            await outbox.add(
                session,
                EventCancelledV1(event_id=uuid.uuid4(), organizer_id=uuid.uuid4(), title=note),
            )
        assert await rt.relay.pending() >= 1
        assert await _effects(rt, note) == 0
    finally:
        rt.relay.start()
    await eventually(lambda: _effects(rt, note), until=lambda n: n == 1, what="late delivery")


async def test_dead_letter_gauge_reads_the_depth_of_the_dead_letter_queue_when_counted(
    sample: Any, sample_settings: Any
) -> None:
    app, _ = sample
    rt = app.state.runtime
    await _dead_letters(sample_settings)  # empty it

    async def counted() -> float | None:
        await rt.run_job("dead-letter-count")
        return REGISTRY.get_sample_value("ticketing_dead_letters", {"service": "sample"})

    assert await eventually(counted, until=lambda n: n == 0) == 0
    for n in range(2):
        await _publish_raw(sample_settings, b"{poison %d" % n, "event.cancelled")

    assert await eventually(counted, until=lambda n: n == 2, what="two dead letters") == 2
    await _dead_letters(sample_settings)
    assert await eventually(counted, until=lambda n: n == 0) == 0
