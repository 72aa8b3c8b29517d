"""Prometheus scrape config and the provisioned Grafana dashboards (the alert rules:
test_infra_alerts.py)."""

from __future__ import annotations

import importlib
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
# What shared/observability.py exports, the business metrics of DESIGN.md "Observability"
# (exactly those names), RabbitMQ's per-queue depth, and Prometheus' own `up` and `ALERTS`.
BUSINESS_METRICS = {
    "ticketing_holds_total",
    "ticketing_bookings_total",
    "ticketing_payments_total",
    "ticketing_oversold_seats",
    "ticketing_outbox_oldest_pending_seconds",
    "ticketing_dead_letters",
    "ticketing_waiting_room_users",
    # not in DESIGN.md yet: money captured by successful payments (payment service)
    "ticketing_revenue_minor_units_total",
}
KNOWN_METRICS = BUSINESS_METRICS | {
    "up",
    "ALERTS",
    "rabbitmq_detailed_queue_messages",
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
    "unless", "topk", "vector", "offset", "absent",
}  # fmt: skip
# Grafana's variables, as promtool gets them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$service": ".*"}
RABBITMQ_PORT = 15692


def promtool() -> str:
    """scripts/bootstrap.sh (run by make test) unpacks it into var/tools: never skip for it."""
    local = REPO_ROOT / "var" / "tools" / "prometheus" / "usr" / "bin" / "promtool"
    tool = shutil.which("promtool") or (str(local) if local.exists() else None)
    assert tool, "promtool missing: run scripts/bootstrap.sh (make test does)"
    return tool


def test_prometheus_scrapes_one_job_per_service() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {s.name for s in SERVICES} | {"rabbitmq", "rabbitmq-queues"}
    for service in SERVICES:
        job = jobs[service.name]
        assert job["static_configs"][0]["targets"] == [f"{service.name}:{service.port}"]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "5s"


def test_prometheus_scrapes_rabbitmq_totals_and_queue_depth_when_configured() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in ("rabbitmq", "rabbitmq-queues"):
        assert jobs[name]["static_configs"][0]["targets"] == [f"rabbitmq:{RABBITMQ_PORT}"]
    assert jobs["rabbitmq"]["metrics_path"] == "/metrics"
    # per-queue depth (the .dlq queues) without every per-object family
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
    assert jobs["rabbitmq-queues"]["params"] == {"family": ["queue_coarse_metrics"]}


def test_prometheus_loads_the_alert_rules_when_configured() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    assert list((PROMETHEUS.parent / "rules").glob("*.yml"))


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
    stripped = re.sub(r"\boffset\s+\w+", "", stripped)  # offset 15m
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


def with_grafana_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, expr
    return expr


def test_dashboard_promql_parses(tmp_path: Path) -> None:
    tool = promtool()
    rules = [
        {"record": f"check:expr_{i}", "expr": with_grafana_variables(expr)}
        for i, expr in enumerate(e for _, d in dashboards() for e in expressions(d))
    ]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [tool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def on_sale() -> dict[str, Any]:
    return dict(json.loads((DASHBOARDS / "on-sale.json").read_text()))


def panel_titled(dashboard: dict[str, Any], fragment: str) -> dict[str, Any]:
    (found,) = [p for p in panels(dashboard) if fragment in p["title"]]
    return found


def test_on_sale_dashboard_shows_the_sale_when_provisioned() -> None:
    dashboard = on_sale()
    assert dashboard["title"] == "Ticketing — On-sale"
    exprs = " ".join(expressions(dashboard))
    for metric in BUSINESS_METRICS | {"rabbitmq_detailed_queue_messages"}:
        assert metric in exprs, metric
    assert 'ticketing_holds_total{outcome="conflict"}' in exprs
    for outcome in ("succeeded", "failed", "refunded"):
        assert outcome in panel_titled(dashboard, "Payments")["description"]
    assert "sum by (outcome) (rate(ticketing_payments_total" in exprs
    assert "sum by (state) (ticketing_waiting_room_users)" in exprs


def test_on_sale_funnel_runs_held_booked_paid_confirmed_when_read() -> None:
    funnel = panel_titled(on_sale(), "Funnel over the range")
    assert [t["legendFormat"] for t in funnel["targets"]] == ["held", "booked", "paid", "confirmed"]
    assert [t["expr"] for t in funnel["targets"]] == [
        'sum(increase(ticketing_holds_total{outcome="created"}[$__range]))',
        'sum(increase(ticketing_bookings_total{outcome="created"}[$__range]))',
        'sum(increase(ticketing_payments_total{outcome="succeeded"}[$__range]))',
        'sum(increase(ticketing_bookings_total{outcome="confirmed"}[$__range]))',
    ]


def test_on_sale_oversold_is_a_stat_red_above_zero_when_rendered() -> None:
    oversold = panel_titled(on_sale(), "Oversold")
    assert oversold["type"] == "stat"
    assert [t["expr"] for t in oversold["targets"]] == ["max(ticketing_oversold_seats)"]
    assert oversold["options"]["colorMode"] == "background"
    steps = oversold["fieldConfig"]["defaults"]["thresholds"]["steps"]
    # green at exactly 0, red from 1 (and red below 0, which cannot happen)
    assert [(s["color"], s["value"]) for s in steps] == [("red", None), ("green", 0), ("red", 1)]
    assert oversold["gridPos"]["y"] == 0  # first row: seen before anything else


def test_dashboards_link_to_each_other_when_tagged() -> None:
    for path, dashboard in dashboards():
        assert "ticketing" in dashboard["tags"], path
        assert dashboard["links"][0]["tags"] == ["ticketing"], path


def test_dashboard_provider_points_at_the_mounted_folder() -> None:
    providers = yaml.safe_load((DASHBOARD_PROVIDERS / "dashboards.yaml").read_text())["providers"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"


# named in DESIGN.md and read by a rule or panel, but their feature does not exist yet: the one
# list to shorten when it lands (webhooks: ticketing_webhook_deliveries_total, not read yet)
AWAITING_THEIR_FEATURE: set[str] = set()


def test_business_metrics_the_rules_and_dashboards_read_are_registered_by_the_services() -> None:
    from prometheus_client import REGISTRY

    for service in SERVICES:  # importing an app registers its collectors
        importlib.import_module(f"{service.name}_service.main").create_app()
    registered = set()
    for family in REGISTRY.collect():  # a counter's family is named without its "_total"
        registered |= (
            {family.name, f"{family.name}_total"} if family.type == "counter" else {family.name}
        )
    missing = BUSINESS_METRICS - AWAITING_THEIR_FEATURE - registered
    assert missing == set()
    assert AWAITING_THEIR_FEATURE.isdisjoint(registered), "it exists now: drop it from the list"
