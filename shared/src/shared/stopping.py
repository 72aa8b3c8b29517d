"""Telling the requests that would hold a stop that the process is stopping.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, then waits for every open request
to end before the app's shutdown runs. Most end in milliseconds; a ``?wait=N`` request would
hold the stop for its N seconds, and a live stream for ever (until the orchestrator's SIGKILL).
:func:`calling_on_stop_signals` chains a handler of ours in front of the server's own, so those
requests are told at once — a waiting request answers what it has now, a stream ends (its
client reconnects, to another replica) — and the stop takes as long as the quick requests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from shared.logging import get_logger

log = get_logger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopListeners:
    """What to tell, in the order given, when a stop signal arrives."""

    def __init__(self) -> None:
        self._tells: list[Callable[[], None]] = []

    def add(self, tell: Callable[[], None]) -> None:
        self._tells.append(tell)

    def tell_all(self) -> None:
        log.info("service_stopping")
        for tell in self._tells:
            try:
                tell()
            except Exception:  # the stop goes on; what was not told ends by its own time
                log.exception("stop_signal_callback_failed")


@contextlib.contextmanager
def calling_on_stop_signals(callback: Callable[[], None]) -> Iterator[None]:
    """While inside: SIGTERM and SIGINT also run ``callback`` on the running loop, then the
    handler that was there (the server's). A signal whose handler is not a Python function —
    the default, ignored — is left alone, as is everything outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    replaced: dict[signal.Signals, Callable[[int, FrameType | None], object]] = {}
    for sig in STOP_SIGNALS:
        handler = signal.getsignal(sig)
        if not callable(handler):
            continue

        def chained(
            signum: int,
            frame: FrameType | None,
            handler: Callable[[int, FrameType | None], object] = handler,
        ) -> None:
            loop.call_soon_threadsafe(callback)
            handler(signum, frame)

        replaced[sig] = handler
        signal.signal(sig, chained)
    try:
        yield
    finally:
        for sig, handler in replaced.items():
            signal.signal(sig, handler)
