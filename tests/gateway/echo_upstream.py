"""A tiny ASGI upstream for gateway tests: echoes what nginx forwarded to it.

Also usable as a stand-in service (`create_app` factory) for `devstack.stack` tests: it
answers `/health` and `/health/ready` like a real service.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def answer_lifespan(receive: Receive, send: Send) -> None:
    """The ASGI lifespan protocol, with nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with a JSON description of it."""
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    payload = {
        "service": os.environ.get("ECHO_SERVICE_NAME", "echo"),
        "method": scope["method"],
        "path": scope["path"],
        "raw_path": scope.get("raw_path", b"").decode("latin-1"),
        "query": scope["query_string"].decode("latin-1"),
        "request_id": headers.get("x-request-id"),
        # The client address uvicorn settled on (after --proxy-headers), as a service sees it.
        "client": scope["client"][0] if scope.get("client") else None,
        "body_size": size,
        "headers": headers,
    }
    body = json.dumps(payload).encode()
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # A real service echoes it too; the gateway must not duplicate it.
        (b"x-request-id", (headers.get("x-request-id") or "none").encode("latin-1")),
        # As a real service's document download does; the gateway must not send it twice.
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """uvicorn factory (`echo_upstream:create_app --factory`)."""
    return echo_app
