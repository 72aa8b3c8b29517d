"""Plain child processes with their output in a log file (no supervisor)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections import deque
from pathlib import Path

BASE_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "VIRTUAL_ENV")


def base_env() -> dict[str, str]:
    """The little of our own environment a child needs (the rest is explicit)."""
    return {k: os.environ[k] for k in BASE_ENV_KEYS if k in os.environ}


def spawn(
    command: list[str], *, env: dict[str, str], log_path: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """Start `command` in its own process group, appending stdout+stderr to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            env=base_env() | env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def terminate(
    process: subprocess.Popen[bytes], *, timeout: float = 10.0, kill: bool = False
) -> int | None:
    """SIGTERM (or SIGKILL) the process group, escalating to SIGKILL after `timeout`."""
    if process.poll() is not None:
        return process.returncode
    _signal_group(process, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        return process.wait(timeout=5)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ('' when it does not exist)."""
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        return b"".join(deque(handle, maxlen=lines)).decode("utf-8", "replace")
