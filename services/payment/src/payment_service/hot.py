"""The hot lane: ``POST /api/payments`` answered without FastAPI's per-request work.

Every purchase pays once; the charge itself is three statements, and around it FastAPI matched
the routes, solved five dependencies and validated the body through its generic machinery —
measured in-process, a third of the request's CPU. This ASGI middleware (inside the shared
request-id, access-log and metrics middleware) takes the requests it can answer exactly as the
route in ``routes.py`` would — same body model, same token check, same Idempotency-Key rule,
same use case, same answer and error bodies — and hands everything else to FastAPI untouched
(the body it read is replayed): another method or path, no JSON content type, a body or an
Idempotency-Key that does not validate, a missing or refused token. So every 401 and 422 still
comes from FastAPI (a refused card number is never echoed either way), and the route stays
what OpenAPI documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payment_service import service
from payment_service.context import Context
from payment_service.routes import REPLAY_HEADER
from payment_service.schemas import PaymentCreate
from shared.errors import DomainError
from shared.security import Principal, TokenVerifier

_PATH = "/api/payments"
# ``shared.idempotency.IdempotencyKeyHeader``: 1–255 printable ASCII characters, no space.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_MAX_BODY = 16 * 1024  # a payment body is a few hundred bytes; anything larger: FastAPI's


class _Route:
    """What the shared middleware reads of ``scope["route"]`` (its metrics and log label)."""

    path = _PATH


class HotPayments:
    """See the module doc."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != _PATH:
            await self.app(scope, receive, send)
            return
        headers = _first_headers(scope)
        token = _bearer_json(headers)
        key = headers.get(b"idempotency-key")
        if token is None or (key is not None and not _KEY.fullmatch(key.decode("latin-1"))):
            await self.app(scope, receive, send)
            return
        messages, complete = await _read_body(receive)
        replay = _replaying(messages, receive)
        body = _payment(b"".join(m.get("body", b"") for m in messages)) if complete else None
        user = await _user(scope, token) if body is not None else None
        if body is None or user is None:
            await self.app(scope, replay, send)
            return
        scope["route"] = _Route
        response = await _answer(scope, user, body, None if key is None else key.decode("latin-1"))
        await response(scope, replay, send)


def _first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The first of each header, as Starlette's ``request.headers.get`` reads them."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value)
    return headers


def _bearer_json(headers: dict[bytes, bytes]) -> str | None:
    """The bearer token, if the request has one and a JSON body (else: FastAPI's to answer)."""
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if content_type != b"application/json" or scheme.lower() != "bearer" or not token:
        return None
    return token


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


def _payment(body: bytes) -> PaymentCreate | None:
    """The body as the route gets it (``json.loads``, then the model); None: FastAPI's."""
    try:
        return PaymentCreate.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None


async def _user(scope: Scope, token: str) -> Principal | None:
    verifier: TokenVerifier = scope["app"].state.verifier
    try:
        return await verifier.verify(token)
    except DomainError:
        return None  # FastAPI answers the same 401 (or 503) through ``CurrentUser``


async def _answer(scope: Scope, user: Principal, body: PaymentCreate, key: str | None) -> Any:
    ctx: Context = scope["app"].state.runtime.context
    try:
        async with ctx.sessionmaker() as session:
            outcome = await service.pay_for_booking(
                session, ctx=ctx, user=user, request=body, idempotency_key=key
            )
    except Exception as exc:
        # what FastAPI's exception middleware would do: the app's handler for the nearest
        # class (a DomainError is the contract's error body); without one it goes on up
        handler = _handler_of(scope["app"].exception_handlers, exc)
        if handler is None:
            raise
        return await handler(Request(scope), exc)
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


def _handler_of(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The handler FastAPI's exception middleware would pick (``Exception`` itself, like a 500
    handler, belongs to the outermost middleware: not here)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
