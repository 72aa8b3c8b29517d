"""Schemathesis through a real gateway: every service's OpenAPI as the gateway serves it, a few
generated requests per operation — valid ones and invalid ones — sent as a customer, an
organizer and an admin made for the run: no 5xx, no status the operation does not document,
every response matching its schema and content type, every error in the contract's body.

Bounded: ``EXAMPLES`` requests per operation, role and kind (about 1,500 in all, a minute or
two); the generator's examples are not shrunk (each failure is listed as it was met). The run
has a stack of its own with the gateway's per-address limits lifted (they would answer 429 to a
fuzzer). Generated ids are random, so destructive operations find nothing of anyone's; logging
out ends a session made for that request, never the run's own."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.stack import RunningStack
from shared.watch import MAX_WAIT_SECONDS
from tests.e2e.api_client import PASSWORD

pytestmark = pytest.mark.e2e

SERVICES = ("auth", "events", "bookings", "payments", "notifications")
EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
ERROR_KEYS = {"success", "error", "message", "request_id"}
SEEN: list[tuple[str, str, int]] = []  # every request sent: (method, path, status)


@pytest.fixture(scope="module")
def fuzz_stack(launch: Any) -> Iterator[RunningStack]:
    with launch("fuzz", gateway_limits=False) as stack:
        yield stack


def _login(http: httpx2.Client, email: str, password: str) -> str:
    answer = http.post("/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture(scope="module")
def people(fuzz_stack: RunningStack, admin_credentials: tuple[str, str]) -> dict[str, Any]:
    """Emails and passwords of a customer, an organizer and the admin, made for the run."""
    found: dict[str, Any] = {"admin": admin_credentials}
    with httpx2.Client(base_url=fuzz_stack.gateway_url, timeout=30) as http:
        admin = {"Authorization": f"Bearer {_login(http, *admin_credentials)}"}
        for role in ("customer", "organizer"):
            email = f"fuzz-{role}-{uuid.uuid4().hex[:8]}@example.test"
            body = {"email": email, "password": PASSWORD, "full_name": f"Fuzz {role}"}
            user = http.post("/api/auth/register", json=body)
            assert user.status_code == 201, user.text
            if role == "organizer":
                made = http.patch(f"/api/auth/admin/users/{user.json()['id']}",
                                  json={"role": "organizer"}, headers=admin)  # fmt: skip
                assert made.status_code == 200, made.text
            found[role] = (email, PASSWORD)
    return found


def _error_body(response: Any) -> None:
    """The contract's error body on every JSON error."""
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        missing = ERROR_KEYS - set(body)
        assert not missing and body["success"] is False, f"error body {body!r}"


def _fuzz(op: Any, mode: GenerationMode, base: str, token: str, login: Any) -> list[str]:
    found: list[str] = []

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: Any) -> None:
        fresh = login() if op.path == "/api/auth/logout" else token
        wait = case.query.get("wait") if isinstance(case.query, dict) else None
        if isinstance(wait, int) and not isinstance(wait, bool) and 1 < wait <= MAX_WAIT_SECONDS:
            # a valid ?wait=N is the route waiting N s for a PDF nobody will render: 1 s asks
            # the same (tests/e2e/test_wait_for_outcomes.py has the waits themselves)
            case.query["wait"] = 1
        response = case.call(base_url=base, headers={"Authorization": f"Bearer {fresh}"},
                             timeout=15)  # fmt: skip
        SEEN.append((op.method.upper(), op.path, response.status_code))
        try:
            case.validate_response(response, checks=CHECKS)
            _error_body(response)
        except Exception as exc:  # every failure is listed, none stops the run
            text = " ".join(str(exc).split())
            found.append(f"{op.method.upper()} {op.path} [{mode.value}]: {text}"[:700])

    with contextlib.suppress(Unsatisfiable):  # nothing invalid to send (an operation without input)
        run()
    return found


def test_every_operation_keeps_its_contract_under_generated_requests(
    fuzz_stack: RunningStack, people: dict[str, Any]
) -> None:
    base = fuzz_stack.gateway_url
    failures: list[str] = []
    operations: set[tuple[str, str]] = set()
    with httpx2.Client(base_url=base, timeout=30) as http:
        tokens = {role: _login(http, *who) for role, who in people.items()}
        for service in SERVICES:
            raw = http.get(f"/api/{service}/openapi.json").json()
            for result in schemathesis.openapi.from_dict(raw).get_all_operations():
                op = result.ok()
                if op.path.endswith("/live"):
                    continue  # a stream: no end to read (tests/e2e/test_live_availability.py)
                operations.add((op.method.upper(), op.path))
                for role, token in tokens.items():
                    login = lambda who=people[role]: _login(http, *who)  # noqa: E731
                    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                        failures += [f"{role}: {f}" for f in _fuzz(op, mode, base, token, login)]
    asked = {(method, path) for method, path, _ in SEEN}
    assert len(asked) == len(operations) and len(SEEN) >= 10 * len(operations), (len(SEEN), asked)
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:60])
