"""Use cases of the webhooks, and the fan-out of a consumed message into deliveries."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.orm import Webhook, WebhookDelivery
from notification_service.webhooks import repository as repo
from notification_service.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookType,
)
from notification_service.webhooks.signing import new_secret
from notification_service.webhooks.urls import resolve
from shared.db import utcnow
from shared.errors import Forbidden, NotFound
from shared.logging import get_logger
from shared.messaging import Envelope
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

if TYPE_CHECKING:
    from notification_service.context import Context

log = get_logger(__name__)

TYPES: frozenset[str] = frozenset(get_args(WebhookType))
# what a receiver is not sent of a message: the ticket codes (they open the gate) and the hold
_PRIVATE: dict[str, Any] = {"hold_id": True, "tickets": {"__all__": {"code"}}}


async def create_webhook(
    session: AsyncSession, ctx: Context, *, user: Principal, data: WebhookCreate
) -> WebhookCreated:
    """Register an endpoint (422 ``url_not_allowed`` for URLs the rules refuse; 403 for an
    event known to be someone else's). The secret is in this answer only."""
    await resolve(data.url, allow_private=ctx.settings.WEBHOOK_ALLOW_PRIVATE)
    webhook = Webhook(
        id=uuid.uuid4(),
        owner_id=user.id,
        owner_is_admin=user.is_admin,
        url=data.url,
        events=sorted(set(data.events)),
        event_id=data.event_id,
        secret=new_secret(),
        created_at=utcnow(),
    )
    async with session.begin():
        if data.event_id is not None and not user.is_admin:
            owner = await repo.owner_of(session, data.event_id)
            if owner is not None and owner != user.id:
                raise Forbidden("Only the event's organizer or an admin may hear its messages.")
        await repo.add_webhook(session, webhook)
    log.info("webhook_created", webhook_id=str(webhook.id), events=webhook.events)
    return WebhookCreated(**_read(webhook).model_dump(), secret=webhook.secret)


async def list_webhooks(
    session: AsyncSession, *, user: Principal, page: PageParams
) -> Page[WebhookRead]:
    rows, total = await paginate(session, repo.webhooks_of(user.id), page)
    return Page(items=[_read(w) for w in rows], page=page.page, page_size=page.page_size,
                total=total)  # fmt: skip


async def delete_webhook(session: AsyncSession, *, user: Principal, webhook_id: uuid.UUID) -> None:
    """The endpoint and its deliveries go (an attempt under way is not recorded)."""
    async with session.begin():
        await _own(session, user, webhook_id)
        await repo.delete_webhook(session, webhook_id)
    log.info("webhook_deleted", webhook_id=str(webhook_id))


async def list_deliveries(
    session: AsyncSession, *, user: Principal, webhook_id: uuid.UUID, page: PageParams
) -> Page[DeliveryRead]:
    await _own(session, user, webhook_id)
    rows, total = await paginate(session, repo.deliveries_of(webhook_id), page)
    return Page(items=[_delivery(d) for d in rows], page=page.page, page_size=page.page_size,
                total=total)  # fmt: skip


async def redeliver(
    session: AsyncSession,
    ctx: Context,
    *,
    user: Principal,
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> None:
    """Send a delivery again now, whatever became of it (receivers deduplicate by its id)."""
    deadline = utcnow() + timedelta(hours=ctx.settings.WEBHOOK_GIVE_UP_HOURS)
    async with session.begin():
        await _own(session, user, webhook_id)
        if not await repo.redeliver(session, webhook_id, delivery_id, deadline=deadline):
            raise NotFound("No such delivery.")
    await ctx.webhook_wake.ring()
    log.info("webhook_redelivery", webhook_id=str(webhook_id), delivery_id=str(delivery_id))


async def _own(session: AsyncSession, user: Principal, webhook_id: uuid.UUID) -> Webhook:
    webhook = await repo.own_webhook(session, webhook_id, user.id)
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def _read(webhook: Webhook) -> WebhookRead:
    return WebhookRead(
        id=webhook.id,
        url=webhook.url,
        events=list(webhook.events),
        event_id=webhook.event_id,
        created_at=webhook.created_at,
    )


def _delivery(delivery: WebhookDelivery) -> DeliveryRead:
    pending = delivery.status == "pending"
    return DeliveryRead(
        id=delivery.id,
        type=delivery.type,
        status=delivery.status,
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        next_attempt_at=delivery.next_attempt_at if pending else None,
        created_at=delivery.created_at,
    )


# --- the fan-out (in the consumer's transaction) -----------------------------------------------


async def fan_out(
    session: AsyncSession,
    envelope: Envelope[Any],
    ctx: Context,
    *,
    event_id: uuid.UUID | None,
    organizer_id: uuid.UUID | None,
) -> int:
    """A delivery of ``envelope`` for every webhook that hears it; how many. The event's
    organizer: as the message names it, else as remembered from ``event.published``
    (``event_owner``). One query when nobody listens: a message costs no write here."""
    if envelope.type not in TYPES:
        return 0
    if organizer_id is None and event_id is not None:  # a refund names only its event
        organizer_id = await repo.owner_of(session, event_id)
    hooks = await repo.listeners(session, envelope.type, event_id, organizer_id)
    if not hooks:
        return 0
    data = envelope.data.model_dump(mode="json", exclude=_PRIVATE)
    created = utcnow()
    deadline = created + timedelta(hours=ctx.settings.WEBHOOK_GIVE_UP_HOURS)
    rows = []
    for webhook_id in hooks:
        delivery_id = uuid.uuid4()
        body = {
            "id": str(delivery_id),
            "type": envelope.type,
            "created_at": envelope.occurred_at.isoformat(),
            "data": data,
        }
        rows.append({"id": delivery_id, "webhook_id": webhook_id, "message_id": envelope.id,
                     "type": envelope.type, "body": json.dumps(body, separators=(",", ":")),
                     "deadline_at": deadline, "created_at": created})  # fmt: skip
    await repo.add_deliveries(session, rows)
    return len(rows)
