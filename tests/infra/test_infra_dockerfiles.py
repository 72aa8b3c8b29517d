"""services/*/Dockerfile: hadolint-clean, non-root, locked dependencies, right entry point."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from devstack.services import REPO_ROOT, SERVICES, Service
from tests.infra.conftest import venv_tool


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_dockerfile_passes_hadolint(service: Service) -> None:
    dockerfile = service.source_dir / "Dockerfile"
    result = subprocess.run(
        [str(venv_tool("hadolint")), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_dockerfile_runs_the_service_when_built(service: Service) -> None:
    text = (service.source_dir / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim", text, re.M)
    assert "--require-hashes -r /tmp/runtime.txt" in text
    assert "--no-deps /app/shared" in text
    # installed in place, so the service finds migrations/ beside its package at start-up
    assert f"--no-deps --editable /app/services/{service.name}" in text
    assert re.search(r"^USER \d+", text, re.M), "must run as a numeric non-root user"
    assert f"EXPOSE {service.port}" in text
    assert f"http://127.0.0.1:{service.port}/health/ready" in text
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    assert cmd[:3] == ["uvicorn", service.app, "--factory"]
    assert cmd[cmd.index("--port") + 1] == str(service.port)
    assert "--proxy-headers" in cmd
    # Whom to believe comes from FORWARDED_ALLOW_IPS (compose: the gateway only).
    assert not any(part.startswith("--forwarded-allow-ips") for part in cmd)


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", "var", ".git"):
        assert entry in ignored
