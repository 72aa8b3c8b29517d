"""The stop signals reach the process's own callback first, then the server's handler."""

from __future__ import annotations

import asyncio
import signal
from types import FrameType

from shared.stopping import calling_on_stop_signals


async def test_a_stop_signal_calls_back_then_the_handler_that_was_there() -> None:
    heard: list[str] = []

    def server(signum: int, _frame: FrameType | None) -> None:
        heard.append(f"server {signal.Signals(signum).name}")

    before = signal.signal(signal.SIGTERM, server)
    try:
        with calling_on_stop_signals(lambda: heard.append("callback")):
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0.01)  # the callback runs on the loop
            assert heard == ["server SIGTERM", "callback"]
        assert signal.getsignal(signal.SIGTERM) is server  # the server's handler is back
    finally:
        signal.signal(signal.SIGTERM, before)


async def test_a_signal_left_to_its_default_is_not_taken_over() -> None:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with calling_on_stop_signals(lambda: None):
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)
