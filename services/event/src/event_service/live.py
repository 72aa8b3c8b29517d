"""The live streams' feeds of one process (``GET /api/events/{id}/live``, use case in
``service/live.py``): live availability as Server-Sent Events.

One feed per event per process, running only while someone listens: it reads the event's state
(tier counts, sold and held seats: a few Redis round trips) every
``LIVE_INTERVAL_SECONDS`` (0.5) and, when something changed, hands the news to every listener —
an ``availability`` event with the tiers, and for reserved seating a ``seats`` event with the
seats whose status changed. So updates are coalesced to at most two a second, the cost is the
same for one listener or ten thousand (each costs a queue and a connection, nothing else), and
no hold path pays anything for the stream. A listener whose queue is full (a slow client) is
not waited for: it misses the backlog and gets a fresh snapshot when it catches up.

Events: ``availability`` ``{"version", "tiers": [{code, capacity, available, held, sold}]}``
(always first), ``seats`` ``{"version", "changes": [{seat_id, status}]}``, and a ``: keepalive``
comment every ``LIVE_KEEPALIVE_SECONDS`` (15) without news, sent by the feed to all its
listeners at once (a listener has no timer of its own). ``id`` is the version (milliseconds of
the state it describes); a client resuming with ``Last-Event-ID`` gets the current state at
once (the stream is of state, not of history: nothing older is worth replaying).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_json

from event_service.domain import SeatStatus
from shared.logging import get_logger

log = get_logger(__name__)

Reader = Callable[[], Awaitable["State | None"]]

_QUEUE = 32  # news a listener may fall behind by before it is resynchronised
_KEEPALIVE = b": keepalive\n\n"


class _Ended:
    """Put in a listener's queue: the process is stopping, the stream ends."""


_END = _Ended()
_Queue = asyncio.Queue[bytes | None | _Ended]


@dataclass
class State:
    version: int
    tiers: list[dict[str, Any]]
    sold: set[str]
    held: set[str]

    def availability(self) -> bytes:
        data = to_json({"version": self.version, "tiers": self.tiers})
        return b"event: availability\nid: %d\ndata: %s\n\n" % (self.version, data)


@dataclass
class _Feed:
    listeners: set[_Queue] = field(default_factory=set)
    state: State | None = None
    task: asyncio.Task[None] | None = None
    told_at: float = 0.0  # loop time of the last news or keepalive


class LiveHub:
    """The process's live feeds (one per event with listeners)."""

    def __init__(self) -> None:
        self._feeds: dict[uuid.UUID, _Feed] = {}
        self._ending = False

    def listeners(self, event_id: uuid.UUID) -> int:
        feed = self._feeds.get(event_id)
        return 0 if feed is None else len(feed.listeners)

    async def stream(
        self, event_id: uuid.UUID, read: Reader, *, interval: float, keepalive: float
    ) -> AsyncIterator[bytes]:
        """The stream of one listener: the current state, then the news, with keepalives
        (``read``: the event's state now; the feed reads it every ``interval`` seconds)."""
        if self._ending:
            return
        feed = self._feeds.setdefault(event_id, _Feed())
        queue: _Queue = asyncio.Queue(maxsize=_QUEUE)
        feed.listeners.add(queue)
        try:
            if feed.task is None or feed.task.done():
                feed.task = asyncio.create_task(
                    self._poll(event_id, read, feed, interval, keepalive)
                )
            if feed.state is None:
                feed.state = await read()
            if feed.state is not None:
                yield feed.state.availability()
            while True:
                # no timeout of its own: the feed sends the keepalives (a timeout per listener
                # and message would cost a task and a timer each, thousands per change)
                news = await queue.get()
                if isinstance(news, _Ended):
                    return
                if news is None:  # fell behind: start again from the current state
                    if feed.state is not None:
                        yield feed.state.availability()
                    continue
                yield news
        finally:
            feed.listeners.discard(queue)
            if not feed.listeners:
                self._feeds.pop(event_id, None)
                if feed.task is not None:
                    feed.task.cancel()

    async def _poll(
        self, event_id: uuid.UUID, read: Reader, feed: _Feed, interval: float, keepalive: float
    ) -> None:
        loop = asyncio.get_running_loop()
        feed.told_at = loop.time()
        while feed.listeners:
            await asyncio.sleep(interval)
            try:
                state = await read()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live_read_failed", event_id=str(event_id))
                continue
            if state is None:
                continue
            told = _news(feed.state, state)
            if not told and loop.time() - feed.told_at >= keepalive:
                told = [_KEEPALIVE]
            for news in told:
                _tell(feed, news)
            if told:
                feed.told_at = loop.time()
            feed.state = state

    def end_all(self) -> None:
        """The process is stopping (``Runtime.on_stop_signal``): every stream ends now, and a
        new one ends at once (its client reconnects — to another replica)."""
        self._ending = True
        for feed in self._feeds.values():
            if feed.task is not None:
                feed.task.cancel()  # no news after the end
            for queue in feed.listeners:
                _put_dropping_backlog(queue, _END)

    async def close(self) -> None:
        for feed in list(self._feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task
        self._feeds.clear()


def _tell(feed: _Feed, news: bytes) -> None:
    for queue in list(feed.listeners):
        try:
            queue.put_nowait(news)
        except asyncio.QueueFull:  # a slow client: drop its backlog, resynchronise it
            _put_dropping_backlog(queue, None)


def _put_dropping_backlog(queue: _Queue, item: None | _Ended) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(item)


def _news(before: State | None, now: State) -> list[bytes]:
    """The events that tell a listener who saw ``before`` what ``now`` is."""
    if before is None:
        return [now.availability()]
    news = []
    if now.tiers != before.tiers:
        news.append(now.availability())
    changes = [
        {"seat_id": seat, "status": _status(seat, now)}
        for seat in sorted((before.sold ^ now.sold) | (before.held ^ now.held))
    ]
    if changes:
        data = to_json({"version": now.version, "changes": changes})
        news.append(b"event: seats\nid: %d\ndata: %s\n\n" % (now.version, data))
    return news


def _status(seat: str, state: State) -> str:
    if seat in state.sold:
        return SeatStatus.SOLD.value
    if seat in state.held:
        return SeatStatus.HELD.value
    return SeatStatus.AVAILABLE.value
