"""Public routes under /api/notifications (thin: parse, call one use case, answer)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import FileResponse

from notification_service import service
from notification_service.deps import SettingsDep
from notification_service.schemas import NotificationRead
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import CurrentUser

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", summary="The caller's notifications, newest first")
@router.get("/", include_in_schema=False)
async def list_notifications(
    session: SessionDep, user: CurrentUser, page: Pagination
) -> Page[NotificationRead]:
    return await service.list_notifications(session, user=user, page=page)


@router.get(
    "/tickets/{booking_id}/pdf",
    summary="A booking's PDF tickets (owner or admin)",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_ticket_pdf(
    booking_id: uuid.UUID, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> FileResponse:
    path = await service.get_ticket_pdf(
        session, user=user, booking_id=booking_id, storage_dir=settings.TICKET_STORAGE_DIR
    )
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"ticket-{booking_id}.pdf",
        headers={"Cache-Control": "private, no-store"},
    )
