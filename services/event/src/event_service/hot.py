"""The hot lane: ``POST /api/events/{id}/holds`` answered without FastAPI's per-request work
(``shared.hotlane`` says how a lane works).

A hold is one Lua call; around it FastAPI matched a dozen routes, solved five dependencies and
validated the body through its generic machinery — as much CPU again as the hold itself. Handed
to FastAPI untouched besides what ``shared.hotlane`` hands over: an id that is not a canonical
uuid.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import Request, Response, status
from starlette.types import ASGIApp, Receive, Scope, Send

from event_service.context import Context
from event_service.schemas import HoldCreate
from event_service.service import holds
from shared import hotlane
from shared.hotlane import NotMine, RouteLabel
from shared.security import Principal

_PATH = re.compile(
    r"/api/events/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/holds"
)
_MAX_BODY = 256 * 1024  # a thousand seat ids fit many times over; anything larger: FastAPI's
_ROUTE = RouteLabel("/api/events/{event_id}/holds")


class HotHolds:
    """See the module doc."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            _PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        try:
            if found is None:
                raise NotMine
            headers = hotlane.first_headers(scope)
            token = hotlane.bearer(headers, json_body=True)
        except NotMine:
            await self.app(scope, receive, send)
            return
        raw, replay = await hotlane.read_body(receive, max_bytes=_MAX_BODY)
        try:
            data = hotlane.parse(HoldCreate, raw)
            user = await hotlane.user(scope, token)
        except NotMine:
            await self.app(scope, replay, send)
            return
        scope["route"] = _ROUTE
        admission = headers.get(b"x-admission-token")
        response = await _answer(
            scope,
            user,
            uuid.UUID(found.group(1)),
            data,
            None if admission is None else admission.decode("latin-1"),
        )
        await response(scope, replay, send)


async def _answer(
    scope: Scope, user: Principal, event_id: uuid.UUID, data: HoldCreate, admission: str | None
) -> Any:
    ctx: Context = hotlane.context(scope)
    request = Request(scope)
    # the gateway sets the client address and uvicorn trusts only the gateway's forwarding
    address = request.client.host if request.client is not None else ""
    try:
        hold = await holds.create_hold(
            ctx, user=user, event_id=event_id, data=data, address=address, admission=admission
        )
    except Exception as exc:
        return await hotlane.error_answer(scope, exc)
    return Response(
        hold.model_dump_json(), status_code=status.HTTP_201_CREATED, media_type="application/json"
    )
