"""Public routes under /api/notifications (thin: parse, call one use case, answer)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from notification_service import service
from notification_service.deps import ContextDep
from notification_service.schemas import NotificationRead
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import CurrentUser
from shared.watch import WaitSeconds

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


# 422 by hand: the page parameters come through a dependency, which shared.openapi does not
# look into (only the route's own parameters)
@router.get("", summary="The caller's notifications, newest first", responses=errors(422))
@router.get("/", include_in_schema=False)
async def list_notifications(
    session: SessionDep, user: CurrentUser, page: Pagination
) -> Page[NotificationRead]:
    return await service.list_notifications(session, user=user, page=page)


@router.get(
    "/tickets/{booking_id}/pdf",
    summary="A booking's PDF tickets (owner or admin)",
    response_class=Response,
    # 404 (documented for the path parameter): not the caller's, not rendered yet, or void
    # because the booking was cancelled or refunded
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF tickets."}},
)
async def get_ticket_pdf(
    booking_id: uuid.UUID, ctx: ContextDep, user: CurrentUser, wait: WaitSeconds = 0
) -> Response:
    """``wait``: a PDF not rendered yet is waited for up to that many seconds."""
    content = await service.get_ticket_pdf(
        ctx.single, user=user, booking_id=booking_id, watch=ctx.pdf_watch, wait=wait
    )
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="ticket-{booking_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
