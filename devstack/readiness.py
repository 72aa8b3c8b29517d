"""Wait until HTTP endpoints answer 200."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx2


class NotReadyError(RuntimeError):
    """Something did not become ready in time (or its process died)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is not ready: {reason}")
        self.name = name
        self.reason = reason


def probe(client: httpx2.Client, url: str) -> str | None:
    """None when `url` answers 200, else a short reason."""
    try:
        response = client.get(url)
    except httpx2.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code}: {response.text[:300]}"


def wait_ready(
    checks: Mapping[str, str],
    *,
    timeout: float = 90.0,
    alive: Callable[[str], bool] | None = None,
) -> None:
    """Poll every `name -> url` until it answers 200; raise NotReadyError on timeout.

    `alive(name)` (optional) lets a crashed process fail the wait at once.
    """
    pending = dict(checks)
    reasons: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=2.0, trust_env=False) as client:
        while pending:
            for name, url in list(pending.items()):
                if alive is not None and not alive(name):
                    raise NotReadyError(name, "its process exited")
                reason = probe(client, url)
                if reason is None:
                    del pending[name]
                else:
                    reasons[name] = reason
            if not pending:
                return
            if time.monotonic() > deadline:
                name = next(iter(pending))
                raise NotReadyError(
                    name, f"no 200 from {pending[name]} within {timeout:.0f}s ({reasons[name]})"
                )
            time.sleep(0.25)
