"""Public HTTP routes under /api/events: thin — parse, call one use case, return a schema.

The hot routes return the JSON bytes their use case built (``service/browse.py``) or the schema
serialized once; ``response_model`` still documents them, FastAPI skips validating a Response."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from event_service.deps import ContextDep, OptionalUser, Paging
from event_service.schemas import (
    EventCancel,
    EventCreate,
    EventRead,
    EventSummary,
    EventUpdate,
    HoldCreate,
    HoldRead,
    QueueEntryRead,
    SeatRead,
    WaitlistEntryRead,
    WaitlistJoin,
)
from event_service.service import browse, events, holds, room, waitlist
from event_service.service import live as live_stream
from shared.openapi import errors, no_content
from shared.pagination import Page
from shared.runtime import SessionDep
from shared.security import CurrentUser, OrganizerUser
from shared.streaming import StreamedResponse
from shared.types import SingleLine, Timestamp

router = APIRouter(prefix="/api/events", tags=["events"])

HoldId = Annotated[SingleLine, Path(min_length=1, max_length=64)]
# unchecked here: any value that is not the caller's valid admission is a 403 from the use case
AdmissionToken = Annotated[str | None, Header(alias="X-Admission-Token")]
Text = Annotated[SingleLine | None, Query(max_length=200)]
_JSON = "application/json"
# Statuses only the routes know (the rest is derived from each route's shape and dependencies):
# 401 where a token is optional but checked when sent; 403 for ownership and hold rules.
_MANAGE = errors(403, 409)
_HOLD = errors(403, 409, 429)


def _cacheable(request: Request) -> dict[str, str]:
    """Headers that let the gateway keep an anonymous listing or detail until the end of the
    current second (``X-Accel-Expires: @<epoch second>``, nginx/README.md "Micro-cache"): its
    counts then lag by at most about a second, as API.md allows. Taken when the request starts,
    before anything is read; the wall clock, as nginx's (not the service's injectable clock).
    With an Authorization header nothing is marked (the gateway would not store it anyway)."""
    if "authorization" in request.headers:
        return {}
    return {"X-Accel-Expires": f"@{int(time.time())}"}


@router.get("", response_model=Page[EventSummary])
@router.get("/", response_model=Page[EventSummary], include_in_schema=False)
async def list_events(
    request: Request,
    ctx: ContextDep,
    page: Paging,
    q: Text = None,
    location: Text = None,
    starts_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    starts_to: Annotated[Timestamp | None, Query(alias="to")] = None,
    organizer_id: uuid.UUID | None = None,
    sort: Literal["starts_at", "-starts_at", "price"] = "starts_at",
) -> Response:
    headers = _cacheable(request)
    body = await browse.event_listing(
        ctx,
        params=page,
        q=q,
        location=location,
        starts_from=starts_from,
        starts_to=starts_to,
        organizer_id=organizer_id,
        sort=sort,
    )
    return Response(body, headers=headers, media_type=_JSON)


# The hot routes come first: the router tries routes in order (and "/mine" before "/{event_id}",
# which would match it too).


@router.post(
    "/{event_id}/holds",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldRead,
    responses=_HOLD,
)
async def create_hold(
    event_id: uuid.UUID,
    body: HoldCreate,
    user: CurrentUser,
    ctx: ContextDep,
    request: Request,
    x_admission_token: AdmissionToken = None,
) -> Response:
    # Most holds never get here: the hot lane (hot.py) answers them the same way without
    # FastAPI's per-request work. This route documents the operation and answers whatever the
    # lane hands on (no token, a refused one, a body that does not validate, ...).
    # the gateway sets the client address and uvicorn trusts only the gateway's forwarding
    address = request.client.host if request.client is not None else ""
    hold = await holds.create_hold(
        ctx,
        user=user,
        event_id=event_id,
        data=body,
        address=address,
        admission=x_admission_token,
    )
    return Response(hold.model_dump_json(), status_code=status.HTTP_201_CREATED, media_type=_JSON)


@router.get("/mine", response_model=Page[EventSummary])
async def list_my_events(
    user: OrganizerUser, session: SessionDep, ctx: ContextDep, page: Paging
) -> Page[EventSummary]:
    return await events.list_my_events(session, ctx, user=user, params=page)


@router.get("/{event_id}", response_model=EventRead, responses=errors(401))
async def get_event(
    event_id: uuid.UUID, user: OptionalUser, ctx: ContextDep, request: Request
) -> Response:
    headers = _cacheable(request)
    body = await browse.event_detail(ctx, user=user, event_id=event_id)
    return Response(body, headers=headers, media_type=_JSON)


@router.get(
    "/{event_id}/seats",
    response_model=list[SeatRead],
    responses=no_content(304, "Not modified (If-None-Match matched the ETag)") | errors(401),
)
async def get_seat_map(
    event_id: uuid.UUID,
    user: OptionalUser,
    ctx: ContextDep,
    if_none_match: Annotated[SingleLine | None, Header()] = None,
) -> Response:
    seat_map = await browse.seat_map(ctx, user=user, event_id=event_id, if_none_match=if_none_match)
    headers = {"ETag": seat_map.etag, "Cache-Control": "no-cache"}
    if seat_map.body is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(seat_map.body, headers=headers, media_type=_JSON)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventRead)
@router.post(
    "/", status_code=status.HTTP_201_CREATED, response_model=EventRead, include_in_schema=False
)
async def create_event(
    body: EventCreate, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> EventRead:
    return await events.create_event(session, ctx, user=user, data=body)


@router.patch("/{event_id}", response_model=EventRead, responses=_MANAGE)
async def update_event(
    event_id: uuid.UUID,
    body: EventUpdate,
    user: OrganizerUser,
    session: SessionDep,
    ctx: ContextDep,
) -> EventRead:
    return await events.update_event(session, ctx, user=user, event_id=event_id, data=body)


@router.delete(
    "/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=no_content(204, "Deleted") | _MANAGE,
)
async def delete_event(
    event_id: uuid.UUID, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> Response:
    await events.delete_event(session, ctx, user=user, event_id=event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{event_id}/publish", response_model=EventRead, responses=_MANAGE)
async def publish_event(
    event_id: uuid.UUID, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> EventRead:
    return await events.publish_event(session, ctx, user=user, event_id=event_id)


@router.post("/{event_id}/cancel", response_model=EventRead, responses=_MANAGE)
async def cancel_event(
    event_id: uuid.UUID,
    user: OrganizerUser,
    session: SessionDep,
    ctx: ContextDep,
    body: EventCancel | None = None,
) -> EventRead:
    reason = body.reason if body is not None else None
    return await events.cancel_event(session, ctx, user=user, event_id=event_id, reason=reason)


@router.get("/{event_id}/holds/{hold_id}", response_model=HoldRead)
async def get_hold(
    event_id: uuid.UUID, hold_id: HoldId, user: CurrentUser, ctx: ContextDep
) -> HoldRead:
    return await holds.get_hold(ctx, user=user, event_id=event_id, hold_id=hold_id)


@router.delete(
    "/{event_id}/holds/{hold_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=no_content(204, "Released: the places are free at once"),
)
async def release_hold(
    event_id: uuid.UUID, hold_id: HoldId, user: CurrentUser, ctx: ContextDep
) -> Response:
    await holds.release_hold(ctx, user=user, event_id=event_id, hold_id=hold_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the waiting room (API.md "On-sale protection") ------------------------------------------


@router.post(
    "/{event_id}/queue",
    status_code=status.HTTP_201_CREATED,
    response_model=QueueEntryRead,
    responses=errors(409) | {200: {"description": "Already in line: the same entry and place"}},
)
async def join_queue(event_id: uuid.UUID, user: CurrentUser, ctx: ContextDep) -> Response:
    """Take a place in the event's waiting room (201), or read the one you have (200)."""
    entry, created = await room.join(ctx, user=user, event_id=event_id)
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(entry.model_dump_json(), status_code=code, media_type=_JSON)


@router.get("/{event_id}/queue/me", response_model=QueueEntryRead, responses=errors(409))
async def my_queue_entry(event_id: uuid.UUID, user: CurrentUser, ctx: ContextDep) -> Response:
    """Your place; once admitted, with the admission token holds need (X-Admission-Token)."""
    entry = await room.my_entry(ctx, user=user, event_id=event_id)
    return Response(entry.model_dump_json(), media_type=_JSON)


@router.delete(
    "/{event_id}/queue/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=no_content(204, "Left the line (a later join queues at the back)"),
)
async def leave_queue(event_id: uuid.UUID, user: CurrentUser, ctx: ContextDep) -> Response:
    await room.leave(ctx, user=user, event_id=event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the waiting list (API.md "On-sale protection") ------------------------------------------


@router.post(
    "/{event_id}/waitlist",
    status_code=status.HTTP_201_CREATED,
    response_model=WaitlistEntryRead,
    responses=_MANAGE,
)
async def join_waitlist(
    event_id: uuid.UUID, body: WaitlistJoin, user: CurrentUser, ctx: ContextDep
) -> WaitlistEntryRead:
    """Join a sold-out tier's waiting list: places that come back are offered to it first, as a
    hold of your own (see ``GET /{event_id}/waitlist/me``) and an email."""
    return await waitlist.join(ctx, user=user, event_id=event_id, data=body)


@router.get("/{event_id}/waitlist/me", response_model=list[WaitlistEntryRead])
async def my_waitlist_entries(
    event_id: uuid.UUID, user: CurrentUser, ctx: ContextDep
) -> list[WaitlistEntryRead]:
    """Your entries in the event's waiting lists; an ``offered`` one names its hold."""
    return await waitlist.my_entries(ctx, user=user, event_id=event_id)


@router.delete(
    "/{event_id}/waitlist/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=no_content(204, "Left the tier's waiting list"),
)
async def leave_waitlist(
    event_id: uuid.UUID,
    user: CurrentUser,
    ctx: ContextDep,
    tier: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")],
) -> Response:
    await waitlist.leave(ctx, user=user, event_id=event_id, tier=tier)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{event_id}/live",
    response_class=StreamedResponse,
    responses={
        200: {
            "description": "Server-Sent Events: availability first, then availability and seats "
            "events as they change (at most two a second), a keepalive comment every 15 s",
            "content": {"text/event-stream": {}},
        }
    },
)
async def live(event_id: uuid.UUID, user: OptionalUser, ctx: ContextDep) -> StreamedResponse:
    """Live availability of the event (anyone who may see it)."""
    stream = await live_stream.open_stream(ctx, user=user, event_id=event_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamedResponse(stream, media_type="text/event-stream", headers=headers)
