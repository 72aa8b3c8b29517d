"""Who may see and manage an event, and when it is on sale."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import domain, repository
from event_service.domain import EventStatus
from event_service.orm import EventRow
from event_service.service.facts_cache import Facts
from shared.errors import Forbidden, NotFound
from shared.security import Principal

if TYPE_CHECKING:  # the context imports the use cases that import this module
    from event_service.context import Context


def manages(organizer_id: uuid.UUID, user: Principal | None) -> bool:
    return user is not None and (user.is_admin or user.id == organizer_id)


def may_see(status: str, organizer_id: uuid.UUID, user: Principal | None) -> bool:
    """Drafts only to their owner and admins; everything else to anyone."""
    return status != EventStatus.DRAFT or manages(organizer_id, user)


async def visible_event(
    session: AsyncSession, event_id: uuid.UUID, user: Principal | None
) -> EventRow:
    """The event if the caller may see it (404 otherwise, also for drafts of others)."""
    event = await repository.get_event(session, event_id)
    if event is None or not may_see(event.status, event.organizer_id, user):
        raise NotFound("No such event.")
    return event


async def managed_event(session: AsyncSession, event_id: uuid.UUID, user: Principal) -> EventRow:
    event = await visible_event(session, event_id, user)
    if not manages(event.organizer_id, user):
        raise Forbidden("Only the event's organizer or an admin may do this.")
    return event


async def visible_facts(ctx: Context, event_id: uuid.UUID, user: Principal | None) -> Facts:
    """The event's facts if the caller may see it (404 otherwise, also for drafts of others)."""
    facts = await ctx.facts.get(event_id)
    if facts is None or not may_see(facts.status, facts.organizer_id, user):
        raise NotFound("No such event.")
    return facts


def on_sale(event: Facts | EventRow, now: datetime) -> bool:
    """Published and inside its sales window (``domain.sales_open``); deleted events have no
    facts and are never read here."""
    return domain.sales_open(
        status=event.status,
        deleted=False,
        sales_start_at=event.sales_start_at,
        sales_end_at=event.sales_end_at,
        ends_at=event.ends_at,
        now=now,
    )
