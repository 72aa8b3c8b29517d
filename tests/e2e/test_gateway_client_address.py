"""Through the gateway, against the real auth service: the address auth throttles sign-ins by
and writes into its audit log is the client's own, whatever X-Forwarded-For the client sends.

The attacker connects from 127.0.0.1, the very address the services believe X-Forwarded-For
from (a local client, as in the probe's repro); before the fix its header reached auth.
The stack is its own (auth only, gateway limits lifted): 51 sign-ins from one address must
reach auth, which the real gateway limit on /api/auth/login would refuse first.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack.gateway import GATEWAY_SOURCE_ADDRESS
from devstack.stack import RunningStack
from tests.e2e.api_client import PASSWORD, Actor, Cast, audit_log, register, sign_in

pytestmark = pytest.mark.e2e

PER_IP_LIMIT = 50  # auth's LOGIN_MAX_FAILURES_PER_IP default


@pytest.fixture(scope="module")
def own_stack(launch: Any) -> Iterator[RunningStack]:
    with launch("xff", services=("auth",), gateway_limits=False) as running:
        yield running


@dataclass
class Spray:
    cast: Cast
    attacker: Actor
    victim: Actor
    statuses: list[int]


@pytest.fixture(scope="module")
async def spray(own_stack: RunningStack) -> AsyncIterator[Spray]:
    """The victim registers; then 50 failed sign-ins from the attacker, each naming the victim's
    address in X-Forwarded-For."""
    async with Cast(own_stack.gateway_url) as cast:
        victim = await register(cast.actor(), "victim", signed_in=False)
        attacker = cast.actor(GATEWAY_SOURCE_ADDRESS)
        statuses = []
        for i in range(PER_IP_LIMIT):
            unknown = f"spray{i}-{uuid.uuid4().hex[:8]}@example.test"
            spoofed = {"X-Forwarded-For": victim.address}
            answer = await sign_in(attacker, unknown, "wrong pw!", headers=spoofed)
            statuses.append(answer.status_code)
        yield Spray(cast, attacker, victim, statuses)


async def test_named_address_is_not_locked_out_when_a_client_spoofs_it(spray: Spray) -> None:
    assert spray.statuses == [401] * PER_IP_LIMIT
    own = await sign_in(spray.victim, spray.victim.email, PASSWORD)
    assert own.status_code == 200, own.text


async def test_sign_in_is_throttled_by_the_real_address_when_x_forwarded_for_rotates(
    spray: Spray,
) -> None:
    # The 51st failure, under a header never used before: still the attacker's 51st.
    email = f"spray-last-{uuid.uuid4().hex[:8]}@example.test"
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    throttled = await sign_in(spray.attacker, email, "wrong pw!", headers=spoofed)
    assert throttled.status_code == 429, throttled.text
    assert throttled.json()["details"]["retry_after_seconds"] > 0  # auth's answer, not nginx's


async def test_audit_log_has_the_real_address_when_x_forwarded_for_is_spoofed(
    spray: Spray, admin_credentials: tuple[str, str]
) -> None:
    admin = await spray.cast.admin(admin_credentials)
    failures = await audit_log(admin, action="user.login_failed")
    assert {entry["ip"] for entry in failures} == {GATEWAY_SOURCE_ADDRESS}
