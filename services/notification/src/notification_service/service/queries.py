"""HTTP use cases: the caller's notifications and their PDF tickets."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from notification_service import repository
from notification_service.domain import TicketsNotFound, TicketsVoid
from notification_service.schemas import NotificationRead
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal
from shared.watch import Watch


async def list_notifications(
    session: AsyncSession, *, user: Principal, page: PageParams
) -> Page[NotificationRead]:
    """The caller's notifications, newest first."""
    rows, total = await paginate(session, repository.list_notifications(user.id), page)
    return Page(
        items=[NotificationRead.model_validate(row) for row in rows],
        page=page.page,
        page_size=page.page_size,
        total=total,
    )


async def get_ticket_pdf(
    single: AsyncEngine, *, user: Principal, booking_id: uuid.UUID, watch: Watch, wait: float = 0
) -> bytes:
    """The booking's stored PDF (never rendered here), for its owner or an admin; 404 for
    anyone else, until it is rendered, and once the booking is no longer confirmed (saying so
    to its owner). With ``wait`` seconds, a PDF not rendered yet is waited for that long
    (``shared.watch``)."""
    found = await watch.read_when(
        booking_id,
        wait,
        lambda: repository.get_download(single, booking_id),
        lambda d: d.content is not None or d.void_reason is not None,
    )
    if found.content is not None and (found.owner == user.id or user.is_admin):
        return found.content
    if found.void_reason is not None and (found.void_owner == user.id or user.is_admin):
        raise TicketsVoid(details={"booking_id": str(booking_id), "reason": found.void_reason})
    raise TicketsNotFound()
