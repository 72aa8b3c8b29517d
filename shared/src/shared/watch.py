"""Waiting for something a request is about to change: ``GET …?wait=N`` instead of polling.

A buyer who has paid waits for the confirmation, then for the PDF. Polled, each costs a request
and a statement per buyer every poll — and when an on-sale runs behind, the polls multiply
exactly when there is the least room for them (a journey waiting 5 s asks 50 times at 10 a
second). A waiting request costs nothing while it waits. It is woken:

- at once when this process makes the change (its consumer rings after the commit);
- for whatever another process or another path changed (a second replica, a cancellation, a
  sweeper) by one statement every ``recheck_seconds`` for all the ids waited on in this process
  together, only while anyone waits;

then reads again and answers what it finds; after ``N`` seconds it answers what it finds too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import TextClause, bindparam
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

MAX_WAIT_SECONDS = 25  # under the gateway's 30-s read timeout (nginx proxy_read_timeout)

WaitSeconds = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Answer once what is asked for is there, or after this many seconds "
        "(0: at once) — one request instead of polling.",
    ),
]


class Watch:
    """See the module doc. ``ready`` is the recheck: a statement given ``:ids`` (uuid[]) and
    ``params`` that returns those of them whose waiters may stop waiting."""

    def __init__(
        self,
        single: AsyncEngine,
        ready: TextClause,
        *,
        params: Mapping[str, Any] | None = None,
        recheck_seconds: float = 0.25,
    ) -> None:
        self.single = single
        self.ready = ready.bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))
        self.params = dict(params or {})
        self.recheck_seconds = recheck_seconds
        self._waiters: dict[uuid.UUID, set[asyncio.Future[None]]] = {}
        self._rechecking: asyncio.Task[None] | None = None
        self._last_ring = float("-inf")  # time.monotonic() of the last ring
        self._stopping = False  # the process is stopping: nobody waits any more

    async def wait(
        self, key: uuid.UUID, seconds: float, ready_now: Callable[[], Awaitable[bool]]
    ) -> bool:
        """Return once ``key`` is rung or found ready, or ``seconds`` passed (True); at once if
        ``ready_now()`` — asked once the waiter is in place, so that a change committed
        meanwhile is not missed — says it is ready already (False)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._waiters.setdefault(key, set())
        waiting.add(future)
        try:
            if await ready_now():
                return False
            if self._stopping:
                return True
            self._recheck_soon()
            try:
                async with asyncio.timeout(seconds):
                    await future
            except TimeoutError:
                pass
            return True
        finally:
            waiting.discard(future)
            if not waiting and self._waiters.get(key) is waiting:
                del self._waiters[key]

    async def read_when(
        self,
        key: uuid.UUID,
        seconds: float,
        read: Callable[[], Awaitable[T]],
        ready: Callable[[T], bool],
    ) -> T:
        """``read()`` — with ``seconds`` > 0, once what it reads is ``ready`` or the time is up:
        read with the waiter in place, then once more if it had to wait."""
        if seconds <= 0:
            return await read()
        found: list[T] = []

        async def ready_now() -> bool:
            found.append(await read())
            return ready(found[-1])

        if await self.wait(key, seconds, ready_now):
            return await read()
        return found[-1]

    def ring(self, key: uuid.UUID) -> None:
        """``key`` changed (after the commit): wake whoever waits for it here."""
        self._last_ring = time.monotonic()
        for future in self._waiters.pop(key, ()):
            if not future.done():
                future.set_result(None)

    def stop_waiting(self) -> None:
        """The process is stopping (``Runtime.on_stop_signal``): answer every waiter now, and
        let no new one wait."""
        self._stopping = True
        self._ring_all()

    async def ring_later(self, key: uuid.UUID) -> None:
        """:meth:`ring` as a ``shared.db.after_commit`` job."""
        self.ring(key)

    def rung_within(self, seconds: float) -> bool:
        """Whether any key was rung here in the last ``seconds``: changes are arriving."""
        return time.monotonic() - self._last_ring <= seconds

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    async def aclose(self) -> None:
        if self._rechecking is not None:
            self._rechecking.cancel()
            await asyncio.gather(self._rechecking, return_exceptions=True)
        self._ring_all()

    def _ring_all(self) -> None:
        for key in list(self._waiters):
            self.ring(key)

    def _recheck_soon(self) -> None:
        if self._rechecking is None or self._rechecking.done():
            self._rechecking = asyncio.create_task(self._recheck(), name="watch-recheck")

    async def _recheck(self) -> None:
        """While anyone waits: one statement for all of them every ``recheck_seconds``."""
        while self._waiters:
            await asyncio.sleep(self.recheck_seconds)
            keys = list(self._waiters)
            if not keys:
                break
            try:
                async with self.single.connect() as connection:
                    found = await connection.execute(self.ready, {**self.params, "ids": keys})
                    for (key,) in found:
                        self.ring(key)
            except Exception:  # a database away for a moment: the waits end by their time
                log.warning("watch_recheck_failed", exc_info=True)
