"""What client developers and operators run against the API — the Postman collection
(newman) and the k6 flash sale — run here against one whole isolated stack.

The gateway's per-address limits are lifted (newman and k6 each send everything from one
address, as they do from a laptop or a CI job); mail goes to a Mailpit-compatible reader, where
the collection reads its verification and reset tokens.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.stack import RunningStack, StackConfig, run_stack
from tests.clients.mailpit import RunningMailpit, run_mailpit

HERE = Path(__file__).resolve().parent
ADMIN_EMAIL = "root@clients.test"
ADMIN_PASSWORD = "clients-admin-password"


def node_tool(name: str) -> Path:
    """scripts/bootstrap.sh installs newman here (`npm ci`, package-lock.json): never skip."""
    path = HERE / "node_modules" / ".bin" / name
    assert path.exists(), f"{path} missing: run scripts/bootstrap.sh (make test does)"
    assert shutil.which("node"), "node missing: run scripts/bootstrap.sh (make test does)"
    return path


@pytest.fixture(scope="session")
def mailpit() -> Iterator[RunningMailpit]:
    with run_mailpit() as running:
        yield running


@pytest.fixture(scope="session")
def clients_stack(mailpit: RunningMailpit) -> Iterator[RunningStack]:
    env = {
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailpit.smtp_port),
        "SWEEP_INTERVAL_SECONDS": "1",
    }
    # StackConfig.for_tests lifts the gateway's limits unless told otherwise
    cfg = StackConfig.for_tests(f"cl{uuid.uuid4().hex[:6]}", extra_env=env)
    with run_stack(cfg) as running:
        yield running
