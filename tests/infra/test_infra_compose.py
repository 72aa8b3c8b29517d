"""docker-compose.yml: valid for the real compose binary and the compose-spec schema."""

from __future__ import annotations

import re
import subprocess
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.services import REPO_ROOT, SERVICES
from tests.infra.conftest import compose_binary, venv_tool

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
INFRA = ("postgres", "redis", "rabbitmq", "mailpit", "prometheus", "grafana")
ONE_SHOT = {"keys", "seed", "k6"}
# repository:tag with an exact version (major.minor.patch), no floating minor or `latest`;
# PostgreSQL numbers its releases major.minor
EXACT_TAG = re.compile(r"^[a-z0-9./-]+:v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")
EXACT_POSTGRES_TAG = re.compile(r"^postgres:\d+\.\d+(-[a-z0-9.-]+)?$")


def run_compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(compose_binary()), "-f", str(path), "config", "-q"]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_compose_config_exits_zero_when_validated() -> None:
    result = run_compose_config(COMPOSE_FILE)
    assert result.returncode == 0, result.stderr


def test_compose_config_exits_nonzero_when_broken(tmp_path: Path) -> None:
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["auth"]["depends_on"]["nosuchservice"] = {"condition": "service_healthy"}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    assert run_compose_config(path).returncode != 0


def test_compose_matches_spec_schema_when_checked() -> None:
    command = [str(venv_tool("check-jsonschema")), "--builtin-schema", "vendor.compose-spec"]
    command.append(str(COMPOSE_FILE))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_no_version_key_when_parsed() -> None:
    assert "version" not in yaml.safe_load(COMPOSE_FILE.read_text())


def test_every_long_running_service_has_healthcheck_and_restart(
    compose_config: dict[str, Any],
) -> None:
    for name, service in compose_config["services"].items():
        if name in ONE_SHOT:
            continue
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_app_service_is_wired_when_resolved(compose_config: dict[str, Any], service: Any) -> None:
    spec = compose_config["services"][service.name]
    assert spec["build"]["dockerfile"] == "Dockerfile"
    assert Path(spec["build"]["context"]) == REPO_ROOT
    assert spec["build"]["args"] == {"SERVICE": service.name, "PORT": str(service.port)}
    assert spec["image"] == f"ticketing-{service.name}:dev"
    env = spec["environment"]
    name = service.name
    assert env["DATABASE_URL"] == f"postgresql+asyncpg://{name}:{name}@postgres:5432/{name}"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["AMQP_URL"] == "amqp://guest:guest@rabbitmq:5672/"
    assert env["JWKS_URL"] == "http://auth:8001/.well-known/jwks.json"
    assert env["SMTP_HOST"] == "mailpit"
    for other in SERVICES:
        assert env[f"{other.name.upper()}_URL"] == f"http://{other.name}:{other.port}"
    for dependency in ("postgres", "redis", "rabbitmq"):
        assert spec["depends_on"][dependency]["condition"] == "service_healthy"
    assert spec["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    assert f"localhost:{service.port}/health/ready" in " ".join(spec["healthcheck"]["test"])


def test_keys_are_written_once_with_the_auth_image(compose_config: dict[str, Any]) -> None:
    keys, auth = compose_config["services"]["keys"], compose_config["services"]["auth"]
    assert (keys["build"], keys["image"]) == (auth["build"], auth["image"])
    assert keys["restart"] == "no"
    assert [v["target"] for v in keys["volumes"]] == ["/app/var/keys"]


def test_gateway_waits_for_services_and_renders_template(compose_config: dict[str, Any]) -> None:
    nginx = compose_config["services"]["nginx"]
    for service in SERVICES:
        assert nginx["depends_on"][service.name]["condition"] == "service_healthy"
        assert (
            nginx["environment"][f"{service.name.upper()}_UPSTREAM"]
            == f"{service.name}:{service.port}"
        )
    assert nginx["environment"]["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    targets = {v["target"] for v in nginx["volumes"]}
    assert "/etc/nginx/templates/nginx.conf.template" in targets
    assert [p["target"] for p in nginx["ports"]] == [8080]


def test_services_trust_forwarded_headers_only_from_the_gateway(
    compose_config: dict[str, Any],
) -> None:
    gateway = compose_config["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    (ipam,) = compose_config["networks"]["default"]["ipam"]["config"]
    # Fixed, on the network, and out of the range other containers are given addresses from.
    assert ip_address(gateway) in ip_network(ipam["subnet"])
    assert ip_address(gateway) not in ip_network(ipam["ip_range"])
    for service in SERVICES:
        spec = compose_config["services"][service.name]
        assert spec["environment"]["FORWARDED_ALLOW_IPS"] == gateway, service.name
        assert list(spec["networks"]) == ["default"], service.name


def test_every_compose_variable_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    example = (REPO_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.M))
    assert used - listed == set()


def test_infra_ports_are_bound_to_loopback(compose_config: dict[str, Any]) -> None:
    for name in INFRA:
        for port in compose_config["services"][name].get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", (name, port)


def test_images_are_pinned(compose_config: dict[str, Any]) -> None:
    for name, service in compose_config["services"].items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), (name, image)


def test_third_party_images_name_exact_versions_when_resolved(
    compose_config: dict[str, Any],
) -> None:
    for name, service in compose_config["services"].items():
        if "build" not in service:
            pattern = EXACT_POSTGRES_TAG if name == "postgres" else EXACT_TAG
            assert pattern.match(service["image"]), (name, service["image"])


def test_demo_data_is_seeded_once_through_the_gateway_when_enabled(
    compose_config: dict[str, Any],
) -> None:
    seed, auth = compose_config["services"]["seed"], compose_config["services"]["auth"]
    assert (seed["build"], seed["image"]) == (auth["build"], auth["image"])
    assert seed["restart"] == "no"
    assert seed["depends_on"]["nginx"]["condition"] == "service_healthy"
    assert seed["environment"]["DEMO_DATA"] == "true"  # the default, as under `make up`
    assert seed["environment"]["GATEWAY_URL"] == "http://nginx:8080"
    (mount,) = seed["volumes"]
    assert (Path(mount["source"]), mount["target"], mount["read_only"]) == (
        REPO_ROOT / "devstack",
        "/seed/devstack",
        True,
    )
    assert "from devstack.seed import seed_demo" in seed["command"][-1]
    # the services themselves do not read DEMO_DATA
    assert "DEMO_DATA" not in auth["environment"]


def test_grafana_and_prometheus_are_published_where_the_readme_says(
    compose_config: dict[str, Any],
) -> None:
    services = compose_config["services"]
    published = {
        name: [(p["host_ip"], p["published"], p["target"]) for p in services[name]["ports"]]
        for name in ("grafana", "prometheus", "mailpit", "rabbitmq")
    }
    assert published["grafana"] == [("127.0.0.1", "3100", 3000)]
    assert published["prometheus"] == [("127.0.0.1", "9090", 9090)]
    assert ("127.0.0.1", "8025", 8025) in published["mailpit"]
    assert ("127.0.0.1", "15672", 15672) in published["rabbitmq"]
    readme = (REPO_ROOT / "README.md").read_text()
    for url in ("http://localhost:3100", "http://localhost:9090", "http://localhost:8025"):
        assert url in readme, url
    assert "http://localhost:15672" in readme


def test_prometheus_loads_rules_and_accepts_k6_results_when_started(
    compose_config: dict[str, Any],
) -> None:
    prometheus = compose_config["services"]["prometheus"]
    targets = {v["target"]: v for v in prometheus["volumes"]}
    assert Path(targets["/etc/prometheus/rules"]["source"]) == REPO_ROOT / "prometheus" / "rules"
    assert "--web.enable-remote-write-receiver" in prometheus["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    k6 = compose_config["services"]["k6"]["environment"]
    assert k6["K6_PROMETHEUS_RW_SERVER_URL"] == "http://prometheus:9090/api/v1/write"


def test_rabbitmq_exposes_its_prometheus_endpoint_to_the_network(
    compose_config: dict[str, Any],
) -> None:
    rabbitmq = compose_config["services"]["rabbitmq"]
    assert "15692" in rabbitmq["expose"]
    assert all(p["target"] != 15692 for p in rabbitmq["ports"])  # not published on the host


def test_gateway_is_given_docker_dns_for_re_resolving_upstreams(
    compose_config: dict[str, Any],
) -> None:
    env = compose_config["services"]["nginx"]["environment"]
    assert env["NGINX_RESOLVER"] == "127.0.0.11"
    assert env["NGINX_UPSTREAM_RESOLVE"] == "resolve"


def test_k6_is_a_load_profile_service(compose_config: dict[str, Any]) -> None:
    k6 = compose_config["services"]["k6"]
    assert k6["profiles"] == ["load"]
    assert "/scripts/smoke.js" in k6["command"]


def test_postgres_runs_init_scripts(compose_config: dict[str, Any]) -> None:
    volumes = compose_config["services"]["postgres"]["volumes"]
    init = next(v for v in volumes if v["target"] == "/docker-entrypoint-initdb.d")
    assert Path(init["source"]) == REPO_ROOT / "init-scripts"
