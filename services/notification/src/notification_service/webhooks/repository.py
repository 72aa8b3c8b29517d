"""The webhook tables: endpoints, deliveries (claimed with a lease), event owners."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.orm import EventOwner, Webhook, WebhookDelivery


async def remember_owner(
    session: AsyncSession, event_id: uuid.UUID, organizer_id: uuid.UUID
) -> None:
    statement = insert(EventOwner).values(event_id=event_id, organizer_id=organizer_id)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[EventOwner.event_id], set_={"organizer_id": organizer_id}
        )
    )


async def owner_of(session: AsyncSession, event_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(EventOwner.organizer_id).where(EventOwner.event_id == event_id)
    )
    return found


async def add_webhook(session: AsyncSession, webhook: Webhook) -> None:
    session.add(webhook)
    await session.flush()


def webhooks_of(owner_id: uuid.UUID) -> Select[Any]:
    return (
        select(Webhook)
        .where(Webhook.owner_id == owner_id)
        .order_by(Webhook.created_at.desc(), Webhook.id)
    )


async def own_webhook(
    session: AsyncSession, webhook_id: uuid.UUID, owner_id: uuid.UUID
) -> Webhook | None:
    found: Webhook | None = await session.scalar(
        select(Webhook).where(Webhook.id == webhook_id, Webhook.owner_id == owner_id)
    )
    return found


async def delete_webhook(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    await session.execute(delete(Webhook).where(Webhook.id == webhook_id))


async def listeners(
    session: AsyncSession, type_: str, event_id: uuid.UUID | None, organizer_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Webhooks that hear ``type_`` about the event: admins' (of every event, or of this one),
    and its organizer's (of all their events, or of this one)."""
    mine: ColumnElement[bool] = Webhook.owner_is_admin.is_(True)
    if organizer_id is not None:
        mine = or_(mine, Webhook.owner_id == organizer_id)
    of_event: ColumnElement[bool] = Webhook.event_id.is_(None)
    if event_id is not None:
        of_event = or_(of_event, Webhook.event_id == event_id)
    rows = await session.scalars(
        select(Webhook.id).where(Webhook.events.contains([type_]), mine, of_event)
    )
    return list(rows)


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """New deliveries (a message redelivered by the broker adds none twice)."""
    if rows:
        statement = insert(WebhookDelivery).values(list(rows))
        await session.execute(statement.on_conflict_do_nothing())


def deliveries_of(webhook_id: uuid.UUID) -> Select[Any]:
    return (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )


async def redeliver(
    session: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID, *, deadline: datetime
) -> bool:
    """Send it again now (whatever its status), with a new deadline."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .values(status="pending", next_attempt_at=func.now(), deadline_at=deadline)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the sender -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    webhook_id: uuid.UUID
    body: str
    attempts: int  # this attempt's number
    deadline_at: datetime
    url: str
    secret: str


_CANDIDATES = text(
    "SELECT id, webhook_id FROM webhook_delivery "
    "WHERE status = 'pending' AND next_attempt_at <= now() "
    "AND NOT (webhook_id = ANY(:busy)) ORDER BY next_attempt_at LIMIT :scan"
)
_CLAIM = text(
    "WITH taken AS (SELECT id FROM webhook_delivery WHERE id = ANY(:ids) AND status = 'pending' "
    "AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED) "
    "UPDATE webhook_delivery d SET attempts = d.attempts + 1, "
    "next_attempt_at = now() + make_interval(secs => :lease) "
    "FROM taken, webhook w WHERE d.id = taken.id AND w.id = d.webhook_id "
    "RETURNING d.id, d.webhook_id, d.body, d.attempts, d.deadline_at, w.url, w.secret"
)


async def claim_due(
    session: AsyncSession,
    *,
    limit: int,
    cap: int,
    in_flight: dict[uuid.UUID, int],
    lease_seconds: float,
) -> list[Claimed]:
    """Up to ``limit`` due deliveries, never more than ``cap`` in flight for one webhook
    (``in_flight``: this sender's attempts under way), leased: due again after
    ``lease_seconds`` unless recorded before (a sender that dies mid-attempt loses nothing)."""
    busy = [w for w, n in in_flight.items() if n >= cap]
    rows = (await session.execute(_CANDIDATES, {"busy": busy, "scan": limit * 4})).all()
    taken = dict(in_flight)
    chosen: list[uuid.UUID] = []
    for delivery_id, webhook_id in rows:
        if len(chosen) < limit and taken.get(webhook_id, 0) < cap:
            chosen.append(delivery_id)
            taken[webhook_id] = taken.get(webhook_id, 0) + 1
    if not chosen:
        return []
    claimed = await session.execute(_CLAIM, {"ids": chosen, "lease": lease_seconds})
    return [Claimed(*row) for row in claimed.all()]


async def record(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "last_status_code": status_code,
        "last_error": error,
    }
    if status == "delivered":
        values["delivered_at"] = func.now()
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values)
    )
