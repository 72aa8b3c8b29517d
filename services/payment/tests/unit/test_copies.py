"""Payments waiting for their booking's copy: a committed copy counts as copies arriving."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import create_async_engine

from payment_service.copies import FLOWING_WITHIN, copy_watch


async def test_a_committed_copy_means_copies_are_flowing_for_a_while() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/never-connected")
    copies = copy_watch(engine)
    assert not copies.rung_within(FLOWING_WITHIN)  # nothing has arrived yet: a short wait

    copies.ring(uuid.uuid4())  # the consumer's after-commit job, whoever waits

    assert copies.rung_within(FLOWING_WITHIN)
    await asyncio.sleep(0.06)
    assert not copies.rung_within(0.05)
    await engine.dispose()
