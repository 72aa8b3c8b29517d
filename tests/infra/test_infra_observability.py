"""Prometheus scrape config and the provisioned Grafana dashboards."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from devstack.services import REPO_ROOT, SERVICES

PROMETHEUS = REPO_ROOT / "prometheus" / "prometheus.yml"
DATASOURCES = REPO_ROOT / "grafana" / "provisioning" / "datasources"
DASHBOARD_PROVIDERS = REPO_ROOT / "grafana" / "provisioning" / "dashboards"
DASHBOARDS = REPO_ROOT / "grafana" / "dashboards"
# What shared/observability.py exports (plus Prometheus' own `up`).
KNOWN_METRICS = {
    "up",
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_count",
    "http_request_duration_seconds_sum",
    "ticketing_outbox_pending_messages",
    "ticketing_messages_consumed_total",
    "ticketing_messages_published_total",
    "ticketing_consumer_handle_seconds_bucket",
    "ticketing_consumer_handle_seconds_count",
    "ticketing_consumer_handle_seconds_sum",
}
PROMQL_WORDS = {
    "sum", "by", "rate", "irate", "increase", "histogram_quantile", "clamp_min", "avg", "max",
    "min", "count", "without", "le", "label_values", "on", "ignoring", "bool", "and", "or",
    "unless", "topk",
}  # fmt: skip


def promtool() -> str:
    """scripts/bootstrap.sh (run by make test) unpacks it into var/tools: never skip for it."""
    local = REPO_ROOT / "var" / "tools" / "prometheus" / "usr" / "bin" / "promtool"
    tool = shutil.which("promtool") or (str(local) if local.exists() else None)
    assert tool, "promtool missing: run scripts/bootstrap.sh (make test does)"
    return tool


def test_prometheus_scrapes_one_job_per_service() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {s.name for s in SERVICES}
    for service in SERVICES:
        job = jobs[service.name]
        assert job["static_configs"][0]["targets"] == [f"{service.name}:{service.port}"]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "5s"


def test_prometheus_config_passes_promtool() -> None:
    tool = promtool()
    result = subprocess.run(
        [tool, "check", "config", str(PROMETHEUS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def dashboards() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, json.loads(path.read_text())) for path in sorted(DASHBOARDS.rglob("*.json"))]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []))  # rows
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", []) if "expr" in t]


def metric_names(expr: str) -> set[str]:
    stripped = re.sub(r'"[^"]*"', '""', expr)  # label values
    stripped = re.sub(r"\{[^}]*\}", "", stripped)  # label matchers
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)  # ranges
    stripped = re.sub(r"by \([^)]*\)|without \([^)]*\)", "", stripped)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped))
    return {n for n in names if n not in PROMQL_WORDS and not re.fullmatch(r"e\d*", n)}


def test_dashboards_parse_with_unique_uids() -> None:
    found = dashboards()
    assert found, "no dashboards"
    uids = [d["uid"] for _, d in found]
    assert len(uids) == len(set(uids))
    for path, dashboard in found:
        assert dashboard.get("id") is None, path
        assert dashboard.get("title"), path
        panel_ids = [p["id"] for p in panels(dashboard)]
        assert len(panel_ids) == len(set(panel_ids)), path


def test_dashboard_datasources_are_provisioned() -> None:
    provisioned = {
        source["uid"]
        for path in DATASOURCES.glob("*.yaml")
        for source in yaml.safe_load(path.read_text())["datasources"]
    }
    assert "prometheus" in provisioned
    for path, dashboard in dashboards():
        for panel in panels(dashboard):
            refs = [panel.get("datasource")] + [
                t.get("datasource") for t in panel.get("targets", [])
            ]
            for ref in refs:
                if isinstance(ref, dict):
                    assert ref["uid"] in provisioned, (path, panel["title"])


def test_dashboards_only_use_exported_metrics() -> None:
    for path, dashboard in dashboards():
        exprs = expressions(dashboard)
        assert exprs, path
        for expr in exprs:
            unknown = metric_names(expr) - KNOWN_METRICS
            assert not unknown, (path.name, expr, unknown)


def test_dashboard_covers_the_required_views() -> None:
    exprs = " ".join(e for _, d in dashboards() for e in expressions(d))
    for metric in (
        "http_request_duration_seconds_bucket",
        "http_requests_total",
        "ticketing_outbox_pending_messages",
        "ticketing_messages_consumed_total",
    ):
        assert metric in exprs
    assert "histogram_quantile(0.95" in exprs


def test_dashboard_promql_parses(tmp_path: Path) -> None:
    tool = promtool()
    rules = [
        {"record": f"check:expr_{i}", "expr": expr.replace("$service", ".*")}
        for i, expr in enumerate(e for _, d in dashboards() for e in expressions(d))
    ]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [tool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_provider_points_at_the_mounted_folder() -> None:
    providers = yaml.safe_load((DASHBOARD_PROVIDERS / "dashboards.yaml").read_text())["providers"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"
