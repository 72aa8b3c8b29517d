"""Idempotent consumers: a message id is handled once per consumer, in the effect's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM = text(
    "INSERT INTO processed_message (message_id, consumer, message_type, handled_at) "
    "VALUES (:message_id, :consumer, :message_type, now()) "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)


async def claim(
    session: AsyncSession, *, message_id: uuid.UUID, consumer: str, message_type: str
) -> bool:
    """True the first time ``message_id`` is seen by ``consumer``; False for a duplicate.

    Written in the caller's transaction: if the handler fails and rolls back, the claim goes too,
    and the redelivered message is handled again.
    """
    result = await session.execute(
        _CLAIM, {"message_id": message_id, "consumer": consumer, "message_type": message_type}
    )
    return result.first() is not None
