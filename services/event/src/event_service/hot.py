"""The hot lane: ``POST /api/events/{id}/holds`` answered without FastAPI's per-request work.

A hold is one Lua call; around it FastAPI matched a dozen routes, solved five dependencies and
validated the body through its generic machinery — as much CPU again as the hold itself. This
ASGI middleware (inside the shared request-id, access-log and metrics middleware) takes the
requests it can answer exactly as the route in ``routes.py`` would — same body model, same
token check, same use case, same answer and error bodies — and hands everything else to
FastAPI untouched (the body it read is replayed): another method or path, an id that is not a
canonical uuid, no JSON content type, a body that does not validate, a missing or refused token.
So every 401 and 422 still comes from FastAPI, and the route stays what OpenAPI documents.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import Request, Response, status
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_service.context import Context
from event_service.schemas import HoldCreate
from event_service.service import holds
from shared.errors import DomainError
from shared.security import Principal, TokenVerifier

_PATH = re.compile(
    r"/api/events/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/holds"
)
_MAX_BODY = 256 * 1024  # a thousand seat ids fit many times over; anything larger: FastAPI's


class _Route:
    """What the shared middleware reads of ``scope["route"]`` (its metrics and log label)."""

    path = "/api/events/{event_id}/holds"


class HotHolds:
    """See the module doc."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        found = _PATH.fullmatch(scope["path"])
        token = _bearer_json(scope) if found else None
        if found is None or token is None:
            await self.app(scope, receive, send)
            return
        messages, complete = await _read(receive)
        replay = _replaying(messages, receive)
        body = b"".join(m.get("body", b"") for m in messages)
        data = _hold_body(body) if complete else None
        user = await _user(scope, token) if data is not None else None
        if data is None or user is None:
            await self.app(scope, replay, send)
            return
        scope["route"] = _Route
        response = await _answer(scope, user, uuid.UUID(found.group(1)), data)
        await response(scope, replay, send)


def _bearer_json(scope: Scope) -> str | None:
    """The bearer token, if the request has one and a JSON body (else: FastAPI's to answer).
    The first of each header counts, as for Starlette's ``request.headers``."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value)
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if content_type != b"application/json" or scheme.lower() != "bearer" or not token:
        return None
    return token


async def _read(receive: Receive) -> tuple[list[Message], bool]:
    """The messages received, and whether they hold the whole body (not when it is over
    ``_MAX_BODY`` or the client went away)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > _MAX_BODY:
            return messages, False


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that gives the messages read already first, then the rest."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _hold_body(body: bytes) -> HoldCreate | None:
    """The body as the route gets it (``json.loads``, then the model); None: FastAPI's."""
    try:
        return HoldCreate.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None


async def _user(scope: Scope, token: str) -> Principal | None:
    verifier: TokenVerifier = scope["app"].state.verifier
    try:
        return await verifier.verify(token)
    except DomainError:
        return None  # FastAPI answers the same 401 (or 503) through ``CurrentUser``


async def _answer(scope: Scope, user: Principal, event_id: uuid.UUID, data: HoldCreate) -> Any:
    ctx: Context = scope["app"].state.runtime.context
    request = Request(scope)
    # the gateway sets the client address and uvicorn trusts only the gateway's forwarding
    address = request.client.host if request.client is not None else ""
    try:
        hold = await holds.create_hold(
            ctx, user=user, event_id=event_id, data=data, address=address
        )
    except Exception as exc:
        # what FastAPI's exception middleware would do: the app's handler for the nearest
        # class (a DomainError is the contract's error body); without one it goes on up
        handler = _handler_of(scope["app"].exception_handlers, exc)
        if handler is None:
            raise
        return await handler(request, exc)
    return Response(
        hold.model_dump_json(), status_code=status.HTTP_201_CREATED, media_type="application/json"
    )


def _handler_of(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The handler FastAPI's exception middleware would pick (``Exception`` itself, like a 500
    handler, belongs to the outermost middleware: not here)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
