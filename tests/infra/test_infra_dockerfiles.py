"""The one Dockerfile: hadolint-clean, non-root, each service's own locked dependencies, the right
entry point for every SERVICE/PORT pair, and a build context that carries the whole source tree."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from string import Template

import pytest

from devstack.ports import free_port
from devstack.services import REPO_ROOT, SERVICES, Service
from tests.infra.conftest import venv_tool

DOCKERFILE = REPO_ROOT / "Dockerfile"
REQUIREMENTS = REPO_ROOT / "requirements"


def _instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each Dockerfile instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in lines]


def _one(keyword: str) -> str:
    (arguments,) = [args for kw, args in _instructions() if kw == keyword]
    return arguments


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~ ;]", name.strip())[0]).lower()


def _pins(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name → (version, hashes) of a hash-pinned requirements file."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"\n(?=\S)", path.read_text()):
        head = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", block)
        if head:
            hashes = frozenset(re.findall(r"--hash=(\S+)", block))
            pins[_normal(head.group(1))] = (head.group(2), hashes)
    return pins


def _named_in(path: Path) -> set[str]:
    """The packages an .in file names itself (not those it takes in with -r)."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {_normal(line) for line in lines if line and not line.startswith("-")}


def _declared(package_dir: Path) -> set[str]:
    """The third-party dependencies a package's pyproject.toml declares."""
    project = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]
    return {_normal(d) for d in project["dependencies"]} - {"ticketing-shared"}


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(venv_tool("hadolint")), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_service_keeps_a_dockerfile_of_its_own() -> None:
    assert [s.name for s in SERVICES if (s.source_dir / "Dockerfile").exists()] == []


def test_dockerfile_installs_the_chosen_service_locked_and_runs_it_as_non_root() -> None:
    instructions = _instructions()
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", _one("FROM"))
    assert ("ARG", "SERVICE") in instructions and ("ARG", "PORT") in instructions
    runs = " ".join(args for kw, args in instructions if kw == "RUN")
    assert ("COPY", "requirements/services/${SERVICE}.txt /tmp/requirements.txt") in instructions
    assert "--require-hashes -r /tmp/requirements.txt" in runs
    assert "--no-deps /app/shared" in runs
    # installed in place, so the service finds migrations/ beside its package at start-up
    assert '--no-deps --editable "/app/services/${SERVICE}"' in runs
    assert "useradd --system --uid 10001" in runs
    assert _one("USER") == "10001:10001"
    assert _one("EXPOSE") == "${PORT}"
    environment = _one("ENV").split()
    assert "SERVICE_NAME=${SERVICE}" in environment and "SERVICE_PORT=${PORT}" in environment


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_image_starts_uvicorn_with_the_service_factory_and_port_when_built_for_it(
    service: Service,
) -> None:
    """CMD with the environment the build arguments set (SERVICE_NAME, SERVICE_PORT)."""
    shell, flag, script = json.loads(_one("CMD"))
    assert (shell, flag) == ("sh", "-c")
    env = {"SERVICE_NAME": service.name, "SERVICE_PORT": str(service.port)}
    command = shlex.split(Template(script).substitute(env))
    assert command[:4] == ["exec", "uvicorn", service.app, "--factory"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == str(service.port)
    assert "--proxy-headers" in command
    # Whom to believe comes from FORWARDED_ALLOW_IPS (compose: the gateway only).
    assert not any(part.startswith("--forwarded-allow-ips") for part in command)


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health/ready" else 404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def ready_server() -> Iterator[int]:
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def test_healthcheck_asks_the_service_port_for_readiness(ready_server: int) -> None:
    healthcheck = _one("HEALTHCHECK")
    options, probe = healthcheck.split(" CMD ", 1)
    assert "--interval=" in options and "--timeout=" in options
    program, flag, code = json.loads(probe)
    assert (program, flag) == ("python", "-c")

    def run(port: int) -> int:
        env = {"SERVICE_PORT": str(port)}
        return subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode

    assert run(ready_server) == 0
    assert run(free_port()) != 0  # nothing listens there


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_image_requirements_are_the_lock_pins_of_what_the_service_declares(
    service: Service,
) -> None:
    lock = _pins(REQUIREMENTS / "lock.txt")
    image = _pins(REQUIREMENTS / "services" / f"{service.name}.txt")
    # same versions, same hashes as the dev lock: no image drifts from what the tests ran
    assert {name: pin for name, pin in image.items() if lock.get(name) != pin} == {}
    wanted = _declared(REPO_ROOT / "shared") | _declared(service.source_dir)
    assert wanted - set(image) == set(), "declared but not installed in the image"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_image_has_no_other_service_s_own_dependencies(service: Service) -> None:
    image = set(_pins(REQUIREMENTS / "services" / f"{service.name}.txt"))
    own = _named_in(REQUIREMENTS / "services" / f"{service.name}.in")
    shared = _named_in(REQUIREMENTS / "shared.in")
    for other in SERVICES:
        theirs = _named_in(REQUIREMENTS / "services" / f"{other.name}.in") - own - shared
        assert image & theirs == set(), other.name


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves ``path`` (or a folder it is in) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern) for pattern in patterns for p in prefixes)


def _build_inputs() -> list[str]:
    """Every file the image needs from the context: requirements, shared and the services'
    packages and migrations — data files included (event's holds/lua/*.lua)."""
    roots = [REPO_ROOT / "requirements", REPO_ROOT / "shared" / "src"]
    files = [REPO_ROOT / "shared" / "pyproject.toml"]
    for service in SERVICES:
        roots += [service.source_dir / "src", service.source_dir / "migrations"]
        files += [service.source_dir / "pyproject.toml", service.source_dir / "alembic.ini"]
    files += [p for root in roots for p in root.rglob("*") if p.is_file()]
    generated = ("__pycache__", ".egg-info")  # left out on purpose
    return [
        p.relative_to(REPO_ROOT).as_posix()
        for p in files
        if not any(part.endswith(generated) for part in p.parts)
    ]


def test_dockerignore_keeps_local_state_out_and_every_source_file_in() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for entry in (".venv", "var", ".git", "services/*/tests"):
        assert entry in patterns
    inputs = _build_inputs()
    assert any(p.endswith(".toml") for p in inputs) and any(p.endswith(".txt") for p in inputs)
    assert [p for p in inputs if _ignored(p, patterns)] == []
