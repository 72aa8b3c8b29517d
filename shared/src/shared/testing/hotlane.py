"""Tests of hot lanes: which requests a lane answered itself."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest


def answers_taken(monkeypatch: pytest.MonkeyPatch, hot: ModuleType, name: str) -> list[int]:
    """The statuses of the answers ``hot.<name>`` (a lane's answer function) gives from now on,
    in order; the function is wrapped for the test (``monkeypatch`` undoes it)."""
    taken: list[int] = []
    answer = getattr(hot, name)

    async def noting(*args: Any) -> Any:
        response = await answer(*args)
        taken.append(response.status_code)
        return response

    monkeypatch.setattr(hot, name, noting)
    return taken
