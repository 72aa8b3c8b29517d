"""A real HTTP server on loopback that records what it is sent — an organizer's webhook
endpoint in tests (integration and through the gateway). Answers are scripted per path: a
queue of statuses (then 200), or a delay before answering."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shared.testing.server import serving


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass
class Receiver:
    base_url: str  # http://127.0.0.1:<port>
    requests: list[Received] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)  # path → statuses to give first
    delays: dict[str, float] = field(default_factory=dict)  # path → seconds before answering

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        self.requests.append(Received(path, dict(request.headers), body, time.monotonic()))
        await asyncio.sleep(self.delays.get(path, 0))
        queued = self.answers.get(path)
        status = queued.pop(0) if queued else 200
        await Response(status_code=status)(scope, receive, send)


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver listening on a free loopback port, in this event loop."""
    found = Receiver("")
    async with serving(found) as url:
        found.base_url = url
        yield found
