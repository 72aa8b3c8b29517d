"""Through the gateway, against the real auth service: the address auth throttles sign-ins by
and writes into its audit log is the client's own, whatever X-Forwarded-For the client sends.

The attacker connects from 127.0.0.1, the very address the services believe X-Forwarded-For
from (a local client, as in the probe's repro); before the fix its header reached auth.
The stack is its own (auth only, gateway limits lifted): 51 sign-ins from one address must
reach auth, which the real gateway limit on /api/auth/login would refuse first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2
import pytest

from devstack.gateway import GATEWAY_SOURCE_ADDRESS
from devstack.stack import RunningStack, StackConfig, run_stack

pytestmark = pytest.mark.e2e

ADMIN = ("root@client-address.test", "client-address-admin-password")
ATTACKER = GATEWAY_SOURCE_ADDRESS
VICTIM = "127.0.4.20"  # a real client whose address the attacker names
ADMIN_ADDRESS = "127.0.4.30"
PER_IP_LIMIT = 50  # auth's LOGIN_MAX_FAILURES_PER_IP default


@pytest.fixture(scope="module")
def own_stack() -> Iterator[RunningStack]:
    cfg = StackConfig.for_tests(
        f"xff{uuid.uuid4().hex[:6]}",
        services=("auth",),
        extra_env={"ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1]},
    )
    with run_stack(cfg) as running:
        yield running


@pytest.fixture(scope="module")
def client_from(own_stack: RunningStack) -> Iterator[Callable[[str], httpx2.Client]]:
    """`client_from(address)`: a client of the gateway bound to that loopback address."""
    clients: dict[str, httpx2.Client] = {}

    def make(address: str) -> httpx2.Client:
        if address not in clients:
            transport = httpx2.HTTPTransport(local_address=address)
            clients[address] = httpx2.Client(
                base_url=own_stack.gateway_url, transport=transport, timeout=20, trust_env=False
            )
        return clients[address]

    yield make
    for client in clients.values():
        client.close()


def _login(client: httpx2.Client, email: str, password: str, spoof: str) -> httpx2.Response:
    body = {"email": email, "password": password}
    return client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": spoof})


@dataclass
class Spray:
    victim_email: str
    victim_password: str
    statuses: list[int]


@pytest.fixture(scope="module")
def spray(client_from: Callable[[str], httpx2.Client]) -> Spray:
    """The victim registers; then 50 failed sign-ins from the attacker, each naming the victim."""
    email, password = f"victim-{uuid.uuid4().hex[:10]}@example.test", "correct horse battery"
    created = client_from(VICTIM).post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": "V"}
    )
    assert created.status_code == 201, created.text
    attacker = client_from(ATTACKER)
    statuses = []
    for i in range(PER_IP_LIMIT):
        unknown = f"spray{i}-{uuid.uuid4().hex[:8]}@example.test"
        statuses.append(_login(attacker, unknown, "wrong pw!", VICTIM).status_code)
    return Spray(email, password, statuses)


def test_named_address_is_not_locked_out_when_a_client_spoofs_it(
    spray: Spray, client_from: Callable[[str], httpx2.Client]
) -> None:
    assert spray.statuses == [401] * PER_IP_LIMIT
    own = client_from(VICTIM).post(
        "/api/auth/login", json={"email": spray.victim_email, "password": spray.victim_password}
    )
    assert own.status_code == 200, own.text


def test_sign_in_is_throttled_by_the_real_address_when_x_forwarded_for_rotates(
    spray: Spray, client_from: Callable[[str], httpx2.Client]
) -> None:
    # The 51st failure, under a header never used before: still the attacker's 51st.
    email = f"spray-last-{uuid.uuid4().hex[:8]}@example.test"
    throttled = _login(client_from(ATTACKER), email, "wrong pw!", "203.0.113.9")
    assert throttled.status_code == 429, throttled.text
    assert throttled.json()["details"]["retry_after_seconds"] > 0  # auth's answer, not nginx's


def test_audit_log_has_the_real_address_when_x_forwarded_for_is_spoofed(
    spray: Spray, client_from: Callable[[str], httpx2.Client]
) -> None:
    admin = client_from(ADMIN_ADDRESS)
    token = admin.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
    assert token.status_code == 200, token.text
    response = admin.get(
        "/api/auth/admin/audit-logs",
        params={"action": "user.login_failed", "page_size": 100},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert response.status_code == 200, response.text
    addresses = {entry["ip"] for entry in response.json()["items"]}
    assert addresses == {ATTACKER}
