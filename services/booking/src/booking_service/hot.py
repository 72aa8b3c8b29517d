"""The hot lane: ``GET /api/bookings/{id}`` and ``POST /api/bookings`` answered without
FastAPI's per-request work (``shared.hotlane`` says how a lane works).

Those are the requests booking serves in a purchase (buyers poll their booking until it is
confirmed). The read is one statement whose JSON body PostgreSQL writes; around it FastAPI
matched a dozen routes in turn and solved their dependencies — as much CPU again. Handed to
FastAPI untouched besides what ``shared.hotlane`` hands over: an id that is not a canonical
(lowercase) uuid, a query other than ``wait=N``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from booking_service import service
from booking_service.context import Context
from booking_service.schemas import BookingCreate
from shared import hotlane
from shared.hotlane import NotMine, RouteLabel
from shared.security import Principal
from shared.watch import MAX_WAIT_SECONDS

_PATH = re.compile(r"/api/bookings/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_WAIT = re.compile(rb"wait=([0-9]{1,2})")
_CREATE = "/api/bookings"
_MAX_BODY = 16 * 1024  # a booking body is one hold id; anything larger: FastAPI's
_READ_ROUTE = RouteLabel("/api/bookings/{booking_id}")
_CREATE_ROUTE = RouteLabel(_CREATE)


class HotBookings:
    """See the module doc."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["method"] == "GET" and (found := _PATH.fullmatch(scope["path"])):
            await self._read(scope, receive, send, uuid.UUID(found.group(1)))
        elif scope["method"] == "POST" and scope["path"] == _CREATE:
            await self._create(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _read(
        self, scope: Scope, receive: Receive, send: Send, booking_id: uuid.UUID
    ) -> None:
        try:
            wait = _wait_of(scope.get("query_string", b""))
            user = await hotlane.user(
                scope, hotlane.bearer(hotlane.first_headers(scope), json_body=False)
            )
        except NotMine:
            await self.app(scope, receive, send)
            return
        scope["route"] = _READ_ROUTE
        response = await _answer_read(scope, user, booking_id, wait)
        await response(scope, receive, send)

    async def _create(self, scope: Scope, receive: Receive, send: Send) -> None:
        await hotlane.idempotent_post(
            self.app,
            scope,
            receive,
            send,
            model=BookingCreate,
            max_bytes=_MAX_BODY,
            route=_CREATE_ROUTE,
            answer=_answer_create,
        )


def _wait_of(query: bytes) -> int:
    """``?wait=N`` as the route reads it (nothing: 0); :class:`NotMine` for any other query —
    FastAPI's 422 for a ``wait`` out of range, its reading of anything else."""
    if not query:
        return 0
    found = _WAIT.fullmatch(query)
    if found is None or int(found.group(1)) > MAX_WAIT_SECONDS:
        raise NotMine
    return int(found.group(1))


async def _answer_read(scope: Scope, user: Principal, booking_id: uuid.UUID, wait: int) -> Any:
    ctx: Context = hotlane.context(scope)
    try:
        body = await service.get_booking(
            ctx.single, user=user, booking_id=booking_id, watch=ctx.watch, wait=wait
        )
    except Exception as exc:
        return await hotlane.error_answer(scope, exc)
    return Response(body, media_type="application/json")


async def _answer_create(
    scope: Scope, user: Principal, body: BookingCreate, key: str | None
) -> Any:
    ctx: Context = hotlane.context(scope)
    try:
        async with ctx.sessionmaker() as session:
            result = await service.create_booking(
                session, ctx=ctx, user=user, hold_id=body.hold_id, idempotency_key=key
            )
    except Exception as exc:
        return await hotlane.error_answer(scope, exc)
    return result.answer()
