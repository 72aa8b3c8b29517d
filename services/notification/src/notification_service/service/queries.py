"""HTTP use cases: the caller's notifications and their PDF tickets."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository
from notification_service.domain import TicketsNotFound, TicketsVoid
from notification_service.schemas import NotificationRead
from shared.logging import get_logger
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger(__name__)


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
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID, storage_dir: Path
) -> bytes:
    """The booking's PDF, for its owner or an admin; 404 for anyone else, until it is rendered,
    and once the booking is no longer confirmed (saying so to its owner)."""
    document = await repository.get_ticket_document(session, booking_id)
    if document is not None and (document.user_id == user.id or user.is_admin):
        try:
            # read now, not streamed later: a void that deletes the file meanwhile is a 404
            return await asyncio.to_thread((storage_dir / document.path).read_bytes)
        except FileNotFoundError:
            log.warning("ticket_pdf_missing", booking_id=str(booking_id), path=document.path)
    void = await repository.get_ticket_void(session, booking_id)
    if void is not None and (void.user_id == user.id or user.is_admin):
        raise TicketsVoid(details={"booking_id": str(booking_id), "reason": void.reason})
    raise TicketsNotFound()
