"""The service's "now" for what it decides in Python: sales windows, the times of an event, which
events the sweeper visits, which held seats a search skips.

What is live in Redis is decided by Redis's own clock inside the scripts, never by this one — so
a process whose clock runs ahead (or a test that moves it) can skip or visit something early,
but never hands out a place Redis still holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.db import utcnow


class Clock:
    """The system clock, plus an offset that only tests move (instead of sleeping)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return utcnow() + self._offset

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def advance(self, by: timedelta) -> None:
        """Move this process's now forward by ``by`` (tests)."""
        self._offset += by

    def reset(self) -> None:
        self._offset = timedelta(0)
