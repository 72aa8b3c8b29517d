"""A tiny upstream for the micro-cache tests: counts the requests that reached it per URL.

Every answer is ``{"hits": <requests of this path and query so far>, "path", "query",
"authorized"}``, and by default says it may be cached — ``X-Accel-Expires: 60``, even where the
real service would never say so (with a token, on the seat map, on holds): the gateway alone
must keep those out of its cache. The query decides the rest:

- ``ttl=second``: ``X-Accel-Expires: @<the current second>`` — what the event service sends;
- ``ttl=none``: no ``X-Accel-Expires`` (what every other service and the bench's bare endpoint
  send) but ``Cache-Control: public, max-age=60``, which the gateway must ignore;
- ``delay=<seconds>``: answer that much later;
- ``status=<code>``: answer with that status;
- ``gone=<n>``: from the n-th request of this URL on, answer 404 without ``X-Accel-Expires``
  (the event was deleted: event's 404 is never marked).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

# run with --app-dir tests/gateway, beside the echo upstream
from echo_upstream import Receive, Scope, Send, answer_lifespan

hits: Counter[str] = Counter()


def _cache_headers(ttl: str) -> list[tuple[bytes, bytes]]:
    if ttl == "none":
        return [(b"cache-control", b"public, max-age=60")]
    if ttl == "second":
        return [(b"x-accel-expires", f"@{int(time.time())}".encode())]
    return [(b"x-accel-expires", ttl.encode())]


async def cache_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    query = scope["query_string"].decode("latin-1")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    url = f"{scope['path']}?{query}"
    hits[url] += 1
    count = hits[url]  # before the delay: what this request found
    await asyncio.sleep(float(params.get("delay", "0")))
    headers = dict(scope["headers"])
    body = json.dumps(
        {
            "hits": count,
            "path": scope["path"],
            "query": query,
            "authorized": b"authorization" in headers,
        }
    ).encode()
    gone = "gone" in params and count >= int(params["gone"])
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_cache_headers("none" if gone else params.get("ttl", "60")),
    ]
    status = 404 if gone else int(params.get("status", "200"))
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """uvicorn factory (`cache_upstream:create_app --factory`)."""
    return cache_app
