"""Public booking endpoints (``/api/bookings``). Thin: parse, call one use case, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from booking_service import attendee_csv, service
from booking_service.deps import ContextDep, IdempotencyKey, WaitSeconds
from booking_service.domain import BookingStatus
from booking_service.schemas import (
    BookingCreate,
    BookingDetail,
    BookingRead,
    CheckIn,
    CheckInRead,
    EventSales,
    SalesOverview,
    TicketKeys,
)
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import AdminUser, CurrentUser, OrganizerUser
from shared.streaming import StreamedResponse

router = APIRouter(prefix="/api/bookings", tags=["bookings"])


# 403: someone else's hold; 409: hold_expired, seats_unavailable, already_exists,
# idempotency_conflict (the Idempotency-Key is running or was used with another body).
@router.post("", status_code=201, response_model=BookingRead, responses=errors(403, 409))
async def create_booking(
    body: BookingCreate,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book the caller's hold; it then waits for payment until ``expires_at``."""
    result = await service.create_booking(
        session, ctx=ctx, user=user, hold_id=body.hold_id, idempotency_key=idempotency_key
    )
    return result.answer()


@router.get("")
async def list_bookings(
    user: CurrentUser,
    session: SessionDep,
    page: Pagination,
    status: BookingStatus | None = None,
) -> Page[BookingRead]:
    """The caller's bookings, newest first."""
    return await service.list_bookings(session, user=user, status=status, page=page)


# Fixed paths come before /{booking_id} so they are never read as a booking id.


@router.get("/.well-known/ticket-keys")
async def ticket_keys(ctx: ContextDep) -> TicketKeys:
    """The public keys that verify ticket codes offline (JWKS; the code's ``k`` is the kid)."""
    return TicketKeys.model_validate(ctx.ticket_keys.jwks())


@router.get("/sales")
async def sales_overview(user: OrganizerUser, session: SessionDep) -> SalesOverview:
    """Sales of each of the caller's events (admin: every event), with totals per currency."""
    return await service.sales_overview(session, user=user)


# 404: not the caller's event, or an event booking has never heard of (see the README).
@router.get("/events/{event_id}/sales")
async def event_sales(event_id: uuid.UUID, user: OrganizerUser, session: SessionDep) -> EventSales:
    """One event's sales (its organizer or an admin)."""
    return await service.event_sales(session, user=user, event_id=event_id)


# Same 403/404 as the event's sales (a customer 403; another organizer, or an event booking never
# heard of, 404), answered before the first byte. Fixed tail: never read as a booking id.
@router.get(
    "/events/{event_id}/attendees.csv",
    response_class=StreamedResponse,
    responses={
        200: {
            "description": "One row per ticket of the event's confirmed bookings (streamed).",
            "content": {attendee_csv.MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def event_attendees(
    event_id: uuid.UUID, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> StreamedResponse:
    """The event's attendee list as CSV (its organizer or an admin)."""
    chunks = await service.export_attendees(
        session, user=user, event_id=event_id, sessionmaker=ctx.sessionmaker
    )
    disposition = f'attachment; filename="{attendee_csv.filename(event_id)}"'
    return StreamedResponse(
        chunks, media_type=attendee_csv.MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )


@router.get("/admin/all")
async def list_all_bookings(
    user: AdminUser,
    session: SessionDep,
    page: Pagination,
    event_id: uuid.UUID | None = None,
    status: BookingStatus | None = None,
    user_id: uuid.UUID | None = None,
) -> Page[BookingRead]:
    """Every booking (admin), newest first; filters combine."""
    return await service.list_all_bookings(
        session, page=page, event_id=event_id, status=status, user_id=user_id
    )


# 400 invalid_ticket: forged, altered or unknown code; 403: not the event's organizer;
# 409: already_checked_in (details.checked_in_at), invalid_state (booking not confirmed).
@router.post("/checkin", responses=errors(400, 403, 409))
async def check_in(
    body: CheckIn, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> CheckInRead:
    """Admit a ticket once (the event's organizer or an admin)."""
    return await service.check_in(session, user=user, code=body.code, keys=ctx.ticket_keys)


# Buyers poll this until their booking is confirmed: the body comes finished from PostgreSQL
# (``BookingDetail`` documents it; nothing is validated or serialized again on the way out).
@router.get("/{booking_id}", response_model=BookingDetail)
async def get_booking(
    booking_id: uuid.UUID, user: CurrentUser, ctx: ContextDep, wait: WaitSeconds = 0
) -> Response:
    """One booking (owner, the event's organizer, admin), with its tickets once confirmed.
    ``wait``: while the booking awaits payment, answer once it no longer does (confirmed,
    cancelled, expired) or after that many seconds — one request instead of polling."""
    return _json(
        await service.get_booking(
            ctx.single, user=user, booking_id=booking_id, watch=ctx.watch, wait=wait
        )
    )


# 403: the event's organizer (they cancel the whole event); 409 invalid_state: not pending or
# confirmed, or (for the buyer) a ticket was checked in or the event has started.
@router.post("/{booking_id}/cancel", response_model=BookingDetail, responses=errors(403, 409))
async def cancel_booking(booking_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Cancel (owner or admin): a pending booking frees its seats; a paid one is refunded.
    Once a ticket was checked in or the event has started, only an admin may cancel."""
    return _json(await service.cancel_booking(session, user=user, booking_id=booking_id))


def _json(body: str) -> Response:
    return Response(body, media_type="application/json")
