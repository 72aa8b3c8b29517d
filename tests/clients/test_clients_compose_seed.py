"""The compose `seed` service's own command (read from docker-compose.yml), run here against a
whole stack: with DEMO_DATA true it seeds the demo events `make up` seeds; false, nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx2
import pytest
import yaml

from devstack.services import REPO_ROOT
from devstack.stack import RunningStack
from tests.clients.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture(scope="module")
def seed_command() -> list[str]:
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return list(compose["services"]["seed"]["command"])


def run_seed(
    command: list[str], stack: RunningStack, demo_data: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    env |= {
        "DEMO_DATA": demo_data,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "GATEWAY_URL": stack.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),  # compose mounts devstack/ at /seed/devstack
    }
    assert command[0] == "python"
    return subprocess.run(
        [sys.executable, *command[1:]], capture_output=True, text=True, env=env, timeout=60
    )


def demo_events(stack: RunningStack) -> list[str]:
    answer = httpx2.get(f"{stack.gateway_url}/api/events", params={"q": "Demo"}, timeout=10)
    assert answer.status_code == 200
    return sorted(e["title"] for e in answer.json()["items"] if e["title"].startswith("Demo: "))


def test_seed_service_does_nothing_when_demo_data_is_false(
    seed_command: list[str], clients_stack: RunningStack
) -> None:
    result = run_seed(seed_command, clients_stack, "false")
    assert result.returncode == 0, result.stderr
    assert "DEMO_DATA is off" in result.stdout
    assert demo_events(clients_stack) == []


def test_seed_service_seeds_the_demo_events_once_when_demo_data_is_true(
    seed_command: list[str], clients_stack: RunningStack
) -> None:
    for _ in range(2):  # a second `docker compose up` runs it again: nothing doubles
        result = run_seed(seed_command, clients_stack, "true")
        assert result.returncode == 0, result.stdout + result.stderr
    assert demo_events(clients_stack) == [
        "Demo: Open-Air Festival",
        "Demo: Symphony in the Round",
    ]
