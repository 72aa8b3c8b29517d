"""Idempotent consumers: a message id is handled once per consumer, in the effect's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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


_CLAIM_MANY = text(
    "INSERT INTO processed_message (message_id, consumer, message_type, handled_at) "
    "SELECT id, :consumer, message_type, now() "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS m(id, message_type) "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)


async def claim_many(
    session: AsyncSession, messages: Sequence[tuple[uuid.UUID, str]], *, consumer: str
) -> set[uuid.UUID]:
    """The ids among ``messages`` (id, type) that ``consumer`` sees for the first time, claimed
    with one statement in the caller's transaction (see :func:`claim`)."""
    if len(messages) == 1:
        [(message_id, message_type)] = messages
        first = await claim(
            session, message_id=message_id, consumer=consumer, message_type=message_type
        )
        return {message_id} if first else set()
    result = await session.execute(
        _CLAIM_MANY,
        {
            "consumer": consumer,
            "ids": [message_id for message_id, _ in messages],
            "types": [message_type for _, message_type in messages],
        },
    )
    return {row[0] for row in result}
