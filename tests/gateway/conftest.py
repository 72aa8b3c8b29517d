"""Gateway tests: a real nginx from nginx/nginx.conf.template in front of an echo upstream."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from devstack.gateway import PROXY_HEADER_OPTIONS
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.readiness import wait_ready
from devstack.stack import RunningGateway, run_gateway

HERE = Path(__file__).resolve().parent
ECHOED = ("auth", "event", "booking", "payment")  # notification points at a dead port
_addresses = itertools.count(10)


@pytest.fixture(scope="session")
def echo_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """An upstream (uvicorn subprocess) that echoes what the gateway forwarded."""
    port = free_port()
    log = tmp_path_factory.mktemp("echo") / "echo.log"
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "echo_upstream:create_app"]
    command += ["--factory", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    command += ["--log-level", "warning", *PROXY_HEADER_OPTIONS]  # as the services run
    process = spawn(command, env={}, log_path=log, cwd=HERE)
    try:
        wait_ready({"echo": f"http://127.0.0.1:{port}/health"}, timeout=20)
        yield port
    finally:
        terminate(process)


@pytest.fixture(scope="session")
def dead_port() -> int:
    """A port nobody listens on."""
    return free_port()


@pytest.fixture(scope="session")
def upstreams(echo_port: int, dead_port: int) -> dict[str, int]:
    ports = dict.fromkeys(ECHOED, echo_port)
    return ports | {"notification": dead_port}


@pytest.fixture(scope="session")
def gateway(upstreams: dict[str, int]) -> Iterator[RunningGateway]:
    """One gateway with generous rate limits, shared by the tests that do not count."""
    with run_gateway(upstreams) as running:
        yield running


@pytest.fixture
def start_gateway(
    upstreams: dict[str, int],
) -> Callable[..., AbstractContextManager[RunningGateway]]:
    """Start a dedicated gateway (e.g. with low rate limits): `with start_gateway(...) as gw`."""

    def start(**options: Any) -> AbstractContextManager[RunningGateway]:
        return run_gateway(upstreams, **options)

    return start


@pytest.fixture
def source_address() -> str:
    """A loopback source address of its own, so per-IP rate limits never leak across tests."""
    return f"127.0.0.{next(_addresses) % 250 + 2}"


@pytest.fixture
def client_for() -> Iterator[Callable[[str, str], httpx2.Client]]:
    """`client_for(base_url, source_address)`: an HTTP client bound to that source address."""
    clients: list[httpx2.Client] = []

    def make(base_url: str, local_address: str) -> httpx2.Client:
        transport = httpx2.HTTPTransport(local_address=local_address)
        client = httpx2.Client(
            base_url=base_url, transport=transport, timeout=10.0, trust_env=False
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(
    gateway: RunningGateway, source_address: str, client_for: Callable[[str, str], httpx2.Client]
) -> httpx2.Client:
    """A client of the shared gateway, from this test's own source address."""
    return client_for(gateway.url, source_address)
