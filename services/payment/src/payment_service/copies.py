"""Payment requests waiting for their booking's ``booking.created``.

A buyer pays right after booking, usually a few milliseconds before ``booking.created`` has
reached us. Asking booking over HTTP then costs both services a request; waiting a moment for
our own copy costs nearly nothing: the consumer that commits a copy wakes whoever waits for it
(after the commit), and a waiter also looks again now and then, in case another replica
consumed the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator


class CopyArrivals:
    """Who is waiting for which booking's copy, in this process."""

    def __init__(self) -> None:
        self._waiting: dict[uuid.UUID, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def expect(self, booking_id: uuid.UUID) -> Iterator[asyncio.Event]:
        """An event set once a copy of ``booking_id`` has been committed here. Register before
        looking for the copy again, so that a commit in between is not missed."""
        arrived = asyncio.Event()
        self._waiting.setdefault(booking_id, set()).add(arrived)
        try:
            yield arrived
        finally:
            waiters = self._waiting.get(booking_id, set())
            waiters.discard(arrived)
            if not waiters:
                self._waiting.pop(booking_id, None)

    def waiting(self) -> int:
        """How many requests wait for a copy now."""
        return sum(len(waiters) for waiters in self._waiting.values())

    def wake_job(self, booking_id: uuid.UUID) -> Callable[[], Awaitable[None]]:
        """The after-commit job waking whoever waits for ``booking_id``'s copy by then."""

        async def wake() -> None:
            for arrived in self._waiting.get(booking_id, ()):
                arrived.set()

        return wake
