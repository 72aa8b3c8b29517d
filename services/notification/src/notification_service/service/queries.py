"""HTTP use cases: the caller's notifications and their PDF tickets."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import repository
from notification_service.schemas import NotificationRead
from shared.errors import NotFound
from shared.logging import get_logger
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

log = get_logger("notification.service")


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
) -> Path:
    """The booking's PDF file, for its owner or an admin; 404 for anyone else or until rendered."""
    document = await repository.get_ticket_document(session, booking_id)
    if document is None or (document.user_id != user.id and not user.is_admin):
        raise NotFound("No tickets for this booking (yet).")
    path = storage_dir / document.path
    if not path.is_file():
        log.error("ticket_pdf_missing", booking_id=str(booking_id), path=str(path))
        raise NotFound("No tickets for this booking (yet).")
    return path
