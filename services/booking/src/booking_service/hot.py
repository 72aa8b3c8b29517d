"""The hot lane: ``GET /api/bookings/{id}`` and ``POST /api/bookings`` answered without
FastAPI's per-request work.

Those are the three requests booking serves in a purchase (buyers poll their booking until it
is confirmed). The read is one statement whose JSON body PostgreSQL writes; around it FastAPI
matched a dozen routes in turn and solved their dependencies — as much CPU again. This ASGI
middleware (inside the shared request-id, access-log and metrics middleware) answers exactly
the requests the routes in ``routes.py`` would — same body model, same token check, same
Idempotency-Key rule, same use cases, same answers and error bodies — and hands everything
else to FastAPI untouched (a body it read is replayed): another method or path, an id that is
not a canonical (lowercase) uuid, no JSON content type, a body or an Idempotency-Key that does
not validate, a missing or refused token. So every 401 and 422 still comes from FastAPI, and
the routes stay what OpenAPI documents.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booking_service import service
from booking_service.context import Context
from booking_service.routes import REPLAY_HEADER
from booking_service.schemas import BookingCreate
from shared.errors import DomainError
from shared.security import Principal, TokenVerifier

_PATH = re.compile(r"/api/bookings/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_CREATE = "/api/bookings"
# ``shared.idempotency.IdempotencyKeyHeader``: 1–255 printable ASCII characters, no space.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_MAX_BODY = 16 * 1024  # a booking body is one hold id; anything larger: FastAPI's


class _Read:
    """What the shared middleware reads of ``scope["route"]`` (its metrics and log label)."""

    path = "/api/bookings/{booking_id}"


class _Create:
    path = _CREATE


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
        headers = _first_headers(scope)
        token = _bearer(headers)
        user = await _user(scope, token) if token else None
        if user is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = _Read
        response = await _answer_read(scope, user, booking_id)
        await response(scope, receive, send)

    async def _create(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _first_headers(scope)
        token = _bearer(headers) if _is_json(headers) else None
        key = headers.get(b"idempotency-key")
        if token is None or (key is not None and not _KEY.fullmatch(key.decode("latin-1"))):
            await self.app(scope, receive, send)
            return
        messages, complete = await _read_body(receive)
        replay = _replaying(messages, receive)
        body = _hold_body(b"".join(m.get("body", b"") for m in messages)) if complete else None
        user = await _user(scope, token) if body is not None else None
        if body is None or user is None:
            await self.app(scope, replay, send)
            return
        scope["route"] = _Create
        response = await _answer_create(
            scope, user, body, None if key is None else key.decode("latin-1")
        )
        await response(scope, replay, send)


def _first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The first of each header, as Starlette's ``request.headers.get`` reads them."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value)
    return headers


def _is_json(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json"


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    """The bearer token, as ``CurrentUser`` reads it."""
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
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


def _hold_body(body: bytes) -> BookingCreate | None:
    """The body as the route gets it (``json.loads``, then the model); None: FastAPI's."""
    try:
        return BookingCreate.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None


async def _user(scope: Scope, token: str) -> Principal | None:
    verifier: TokenVerifier = scope["app"].state.verifier
    try:
        return await verifier.verify(token)
    except DomainError:
        return None  # FastAPI answers the same 401 (or 503) through ``CurrentUser``


async def _answer_read(scope: Scope, user: Principal, booking_id: uuid.UUID) -> Any:
    ctx: Context = scope["app"].state.runtime.context
    try:
        body = await service.get_booking(ctx.single, user=user, booking_id=booking_id)
    except Exception as exc:
        return await _error(scope, exc)
    return Response(body, media_type="application/json")


async def _answer_create(
    scope: Scope, user: Principal, body: BookingCreate, key: str | None
) -> Any:
    ctx: Context = scope["app"].state.runtime.context
    try:
        async with ctx.sessionmaker() as session:
            result = await service.create_booking(
                session,
                single=ctx.single,
                events=ctx.events,
                settings=ctx.settings,
                user=user,
                hold_id=body.hold_id,
                idempotency_key=key,
            )
    except Exception as exc:
        return await _error(scope, exc)
    headers = {REPLAY_HEADER: "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status, headers=headers)


async def _error(scope: Scope, exc: Exception) -> Any:
    """What FastAPI's exception middleware would answer: the app's handler for the nearest
    class (a DomainError is the contract's error body); without one it goes on up."""
    handler = _handler_of(scope["app"].exception_handlers, exc)
    if handler is None:
        raise exc
    return await handler(Request(scope), exc)


def _handler_of(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The handler FastAPI's exception middleware would pick (``Exception`` itself, like a 500
    handler, belongs to the outermost middleware: not here)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
