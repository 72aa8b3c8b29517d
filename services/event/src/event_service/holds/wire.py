"""One Redis connection for the hold scripts, shared by every request of the process.

Every hold, claim and sale is one ``EVALSHA``. Through redis-py's asyncio client each call costs
≈ 150 µs of CPU besides Redis's own work (a pooled connection checked out and back under a
lock, a timeout task, retry and observability wrappers — about 220 Python calls), nearly three
times the socket's own cost, and it was the largest single item in a hold's profile. Here the
callers share one connection: a command is queued and every command queued in the same turn of
the event loop goes out in one write; the answers come back in the order the commands went out
(Redis answers a connection in order), parsed by hiredis, and each is handed to its caller.

- A caller that stops waiting (cancelled, timed out) leaves its place in the queue: its answer
  is read and dropped, so the others still get theirs.
- No answer for ``timeout`` seconds while commands wait: the connection is closed and every
  waiting caller gets :class:`TimeoutError`. A lost connection gives them
  :class:`ConnectionError` (both are 503 ``upstream_unavailable`` to a client); the next call
  connects again.
- Error replies become :class:`ReplyError` (``NOSCRIPT`` included: :class:`Script` loads the
  script again by running it with ``EVAL``).

Other Redis work (pipelines, sweeps, reads) stays on redis-py.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import hiredis
from redis.asyncio.connection import SSLConnection, parse_url

Arg = str | bytes | int


class ReplyError(Exception):
    """Redis answered the command with an error (the message is Redis's)."""

    @property
    def no_script(self) -> bool:
        return str(self).startswith("NOSCRIPT")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> Address:
        """``redis://[[user]:password@]host[:port][/db]`` (``rediss://`` for TLS), read as
        redis-py reads ``REDIS_URL`` for the service's other Redis work."""
        parts = parse_url(url)
        if "path" in parts:
            raise ValueError(f"unix sockets are not supported here: {url!r}")
        return cls(
            host=parts.get("host") or "127.0.0.1",
            port=parts.get("port") or 6379,
            db=parts.get("db") or 0,
            username=parts.get("username"),
            password=parts.get("password"),
            tls=parts.get("connection_class") is SSLConnection,
        )


def encode(args: Sequence[Arg]) -> bytes:
    """A command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


class Wire:
    """See the module doc. ``await wire.call("EVALSHA", sha, 1, key, arg)``."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.address = Address.from_url(url)
        self.timeout = timeout
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()  # one attempt at a time; callers meanwhile wait
        self._closed = False

    async def call(self, *args: Arg) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.lost:
            protocol = await self._connect()
        return await protocol.send(encode(args))

    async def aclose(self) -> None:
        self._closed = True
        if self._protocol is not None:
            self._protocol.close(ConnectionError("the Redis connection was closed"))
            self._protocol = None

    async def _connect(self) -> _Protocol:
        async with self._connecting:
            if self._closed:
                raise ConnectionError("the Redis connection was closed")
            if self._protocol is None or self._protocol.lost:
                self._protocol = await self._open()
            return self._protocol

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        a = self.address
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Protocol(loop, self.timeout),
                    a.host,
                    a.port,
                    ssl=ssl.create_default_context() if a.tls else None,
                ),
                timeout=self.timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"cannot connect to Redis at {a.host}:{a.port}: {exc}") from exc
        setup: list[bytes] = []
        if a.password is not None:
            auth = (a.username, a.password) if a.username else (a.password,)
            setup.append(encode(("AUTH", *auth)))
        if a.db:
            setup.append(encode(("SELECT", a.db)))
        try:
            for command in setup:
                await protocol.send(command)
        except BaseException:
            protocol.close(ConnectionError("Redis refused the connection's set-up"))
            raise
        return protocol


class _Protocol(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.reader = hiredis.Reader(encoding="utf-8")
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.queued: list[bytes] = []
        self.lost: BaseException | None = None
        self._watch: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                self._answer(reply)
        except hiredis.ProtocolError as exc:
            self.close(ConnectionError(f"Redis sent what is not RESP: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"the Redis connection was lost ({exc or 'closed'})"))

    # --- ours ---------------------------------------------------------------------------------

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost is not None:
            raise ConnectionError(str(self.lost))
        future: asyncio.Future[Any] = self.loop.create_future()
        self.waiting.append((future, time.monotonic()))
        if not self.queued:
            self.loop.call_soon(self._flush)
        self.queued.append(command)
        if self._watch is None:
            self._watch = self.loop.call_later(self.timeout, self._check)
        return future

    def close(self, reason: BaseException) -> None:
        self._fail(reason)
        if self.transport is not None:
            self.transport.close()

    def _flush(self) -> None:
        if self.transport is not None and self.queued and self.lost is None:
            self.transport.write(b"".join(self.queued))
        self.queued.clear()

    def _answer(self, reply: Any) -> None:
        if not self.waiting:
            self.close(ConnectionError("Redis answered a command nobody sent"))
            return
        future, _ = self.waiting.popleft()
        if future.done():  # its caller stopped waiting
            return
        if isinstance(reply, hiredis.ReplyError):
            future.set_exception(ReplyError(str(reply)))
        else:
            future.set_result(reply)

    def _check(self) -> None:
        """The oldest command has had no answer for ``timeout`` seconds: give up the
        connection (every waiting caller gets TimeoutError)."""
        self._watch = None
        if not self.waiting or self.lost is not None:
            return
        waited = time.monotonic() - self.waiting[0][1]
        if waited >= self.timeout:
            self.close(TimeoutError(f"Redis did not answer within {self.timeout:g} s"))
        else:
            self._watch = self.loop.call_later(self.timeout - waited, self._check)

    def _fail(self, reason: BaseException) -> None:
        if self.lost is None:
            self.lost = reason
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self.queued.clear()
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(type(reason)(str(reason)))
