"""Failure points for chaos tests (``make chaos``): a process crashes at a chosen spot when a
test asks by creating a file.

With ``FAULT_DIR`` set (never in production: the settings refuse it), the consumer runner calls
:func:`crash_after_commit` after committing a batch and before acking it; if
``<FAULT_DIR>/<service>.crash-after-commit`` exists, it is removed and the process exits at once
(``os._exit``: no clean-up, no ack) — the crash between commit and ack that at-least-once
delivery and idempotent consumers exist for. The broker redelivers the batch to the restarted
process, whose inbox finds every message handled already.
"""

from __future__ import annotations

import os
from pathlib import Path

CRASHED = 70  # the exit status of a crash asked for


def crash_after_commit(fault_dir: str, service: str) -> None:
    if not fault_dir:
        return
    marker = Path(fault_dir) / f"{service}.crash-after-commit"
    try:
        marker.unlink()
    except FileNotFoundError:
        return
    os._exit(CRASHED)
