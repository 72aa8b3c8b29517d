"""prometheus/rules: valid for promtool, and each alert fired and held back by promtool's
unit tests on synthetic series (prometheus/tests/alerts_test.yml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from devstack.services import REPO_ROOT
from tests.infra.test_infra_observability import KNOWN_METRICS, metric_names, promtool

RULES = REPO_ROOT / "prometheus" / "rules"
RULE_TESTS = REPO_ROOT / "prometheus" / "tests" / "alerts_test.yml"
# Each one is what the issue asks for; the tests file says what fires it.
ALERTS = {
    "TicketingTargetDown",
    "TicketingHigh5xxRatio",
    "TicketingHighLatencyP95",
    "TicketingOutboxLag",
    "TicketingMessagesDeadLettered",
    "TicketingDeadLetterQueueNotEmpty",
    "TicketingOversold",
    "TicketingOversoldCheckMissing",
    "TicketingPaymentFailureSpike",
    "TicketingWaitingRoomBacklog",
}


def rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in sorted(RULES.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [promtool(), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def test_alert_rules_pass_promtool_check_when_linted() -> None:
    result = run_promtool("check", "rules", *map(str, sorted(RULES.glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_are_the_ones_operators_need_when_listed() -> None:
    assert {rule["alert"] for rule in rules()} == ALERTS


def test_every_alert_has_severity_and_summary_when_read() -> None:
    for rule in rules():
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_alert_rules_only_use_known_metrics_when_parsed() -> None:
    for rule in rules():
        unknown = metric_names(rule["expr"]) - KNOWN_METRICS
        assert not unknown, (rule["alert"], unknown)


def test_alert_unit_tests_pass_when_promtool_runs_them() -> None:
    result = run_promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_is_tested_firing_and_quiet_when_listed() -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fired == ALERTS
    assert quiet == ALERTS


def test_alert_unit_tests_fail_when_a_rule_never_fires(tmp_path: Path) -> None:
    """The unit tests can fail: with the oversell threshold raised, promtool says so."""
    shutil.copytree(RULES.parent, tmp_path / "prometheus")
    alerts = tmp_path / "prometheus" / "rules" / "alerts.yml"
    text = alerts.read_text()
    assert "max(ticketing_oversold_seats) > 0" in text
    alerts.write_text(
        text.replace("max(ticketing_oversold_seats) > 0", "max(ticketing_oversold_seats) > 5")
    )
    result = run_promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path / "prometheus" / "tests")
    assert result.returncode != 0
    assert "TicketingOversold" in result.stdout + result.stderr
