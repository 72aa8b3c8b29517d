"""What every hot lane shares: the plumbing of answering a request exactly as its FastAPI route
would, without FastAPI's per-request work.

A service's ``hot.py`` is a pure-ASGI middleware (inside the shared request-id, access-log and
metrics middleware) that takes the few requests of a purchase it can answer as the route does —
same body model, same token check, same Idempotency-Key rule, same use case, same answer and
error bodies — and hands everything else to FastAPI untouched, replaying any body it read:
another method or path, no JSON content type, a body or an Idempotency-Key that does not
validate, a missing or refused token. So every 401 and 422 still comes from FastAPI, and the
routes stay what OpenAPI documents. This module is that common part; ``hot.py`` keeps only its
paths, its body model and its use case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError
from shared.idempotency import IDEMPOTENCY_KEY_PATTERN
from shared.security import Principal, TokenVerifier

M = TypeVar("M", bound=BaseModel)

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class RouteLabel:
    """Stands for ``scope["route"]``: the shared middleware reads its ``path`` as the metrics
    and access-log label of the request."""

    path: str


class NotMine(Exception):
    """The lane cannot answer this request exactly as the route would: FastAPI's to answer."""


Answer = Callable[[Scope, Principal, M, "str | None"], Awaitable[Any]]


async def idempotent_post(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    model: type[M],
    max_bytes: int,
    route: RouteLabel,
    answer: Answer[M],
) -> None:
    """A JSON POST with an optional Idempotency-Key (a booking, a payment): answered by
    ``answer(scope, user, body, key)`` when the lane can take it, else handed to ``app`` (with
    the body replayed)."""
    try:
        headers = first_headers(scope)
        token = bearer(headers, json_body=True)
        key = idempotency_key(headers)
    except NotMine:
        await app(scope, receive, send)
        return
    raw, replay = await read_body(receive, max_bytes=max_bytes)
    try:
        body = parse(model, raw)
        caller = await user(scope, token)
    except NotMine:
        await app(scope, replay, send)
        return
    scope["route"] = route
    response = await answer(scope, caller, body, key)
    await response(scope, replay, send)


def first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The first of each header, as Starlette's ``request.headers.get`` reads them."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value)
    return headers


def bearer(headers: dict[bytes, bytes], *, json_body: bool) -> str:
    """The bearer token, as ``CurrentUser`` reads it (with ``json_body``: only when the request
    says its body is JSON, as FastAPI requires); :class:`NotMine` without one."""
    if json_body:
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            raise NotMine
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotMine
    return token


def idempotency_key(headers: dict[bytes, bytes]) -> str | None:
    """The ``Idempotency-Key`` as ``shared.idempotency.IdempotencyKeyHeader`` accepts it (None:
    not sent); :class:`NotMine` when it would not validate."""
    raw = headers.get(b"idempotency-key")
    if raw is None:
        return None
    key = raw.decode("latin-1")
    if not _KEY.fullmatch(key):
        raise NotMine
    return key


async def read_body(receive: Receive, *, max_bytes: int) -> tuple[bytes | None, Receive]:
    """The whole body (None when it is over ``max_bytes`` or the client went away) and a
    ``receive`` that replays what was read, then goes on."""
    messages: list[Message] = []
    size, complete = 0, False
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break
        if size > max_bytes:
            break
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    body = b"".join(m.get("body", b"") for m in messages) if complete else None
    return body, replay


def parse(model: type[M], body: bytes | None) -> M:
    """The body as the route gets it (``json.loads``, then the model); :class:`NotMine` when
    FastAPI would refuse it."""
    if body is None:
        raise NotMine
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        raise NotMine from None


def context(scope: Scope) -> Any:
    """The service's context, as ``shared.runtime.context_of`` gives it to the routes
    (``ctx: Context = hotlane.context(scope)``)."""
    return scope["app"].state.runtime.context


async def user(scope: Scope, token: str) -> Principal:
    """The token's user; :class:`NotMine` when it is refused (FastAPI answers the same 401, or
    503, through ``CurrentUser``)."""
    verifier: TokenVerifier = scope["app"].state.verifier
    try:
        return await verifier.verify(token)
    except DomainError:
        raise NotMine from None


async def error_answer(scope: Scope, exc: Exception) -> Any:
    """What FastAPI's exception middleware would answer: the app's handler for the nearest class
    (a DomainError is the contract's error body); without one it goes on up."""
    handler = _handler_of(scope["app"].exception_handlers, exc)
    if handler is None:
        raise exc
    return await handler(Request(scope), exc)


def _handler_of(handlers: dict[Any, Callable[..., Any]], exc: Exception) -> Any:
    """The handler FastAPI's exception middleware would pick (``Exception`` itself, like a 500
    handler, belongs to the outermost middleware: not here)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
