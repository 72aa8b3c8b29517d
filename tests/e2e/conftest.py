"""A whole isolated system — five services and a real Nginx — for tests that go through the gateway.

It runs beside ``make up``: its own ports, databases, messaging namespace and Redis prefix,
and a real SMTP server (aiosmtpd) that collects the mail it sends.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from devstack.stack import RunningStack, StackConfig, run_stack
from shared.testing.infra import free_port
from tests.e2e.api_client import Actor, Cast

ADMIN_EMAIL = "root@e2e.test"
ADMIN_PASSWORD = "e2e-admin-password"


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def admin_credentials() -> tuple[str, str]:
    return ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


Launch = Callable[..., AbstractContextManager[RunningStack]]


@pytest.fixture(scope="session")
def launch(mailbox: Mailbox) -> Launch:
    """``with launch(name, **env) as stack``: a whole isolated stack — the e2e admin, its mail to
    ``mailbox``, sweepers every second, the gateway's real per-address limits (10 r/s, burst
    20) — with ``env`` on top. ``services=`` starts only those; ``service_env=`` sets one
    service's variables; ``gateway_limits=False`` lifts the gateway's limits."""

    @contextmanager
    def start(
        name: str,
        *,
        services: tuple[str, ...] | None = None,
        service_env: dict[str, dict[str, str]] | None = None,
        gateway_limits: bool = True,
        **env: str,
    ) -> Iterator[RunningStack]:
        options: dict[str, Any] = {"service_extra_env": service_env or {}}
        if services is not None:
            options["services"] = services
        if gateway_limits:
            options |= {"rate_limit_rps": 10, "rate_limit_burst": 20}
        defaults = {
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mailbox.port),
            "SWEEP_INTERVAL_SECONDS": "1",
        }
        cfg = StackConfig.for_tests(
            f"{name}{uuid.uuid4().hex[:6]}", extra_env=defaults | env, **options
        )
        with run_stack(cfg) as running:
            yield running

    return start


@pytest.fixture(scope="session")
def stack(launch: Launch) -> Iterator[RunningStack]:
    """The stack most modules share; each test actor has its own loopback address. Waiting-list
    offers last 10 s (the least allowed), so that a test sees one lapse; a failed webhook
    attempt is retried after about a second."""
    service_env = {
        "event": {"WAITLIST_OFFER_SECONDS": "10"},
        "notification": {"WEBHOOK_RETRY_BASE_SECONDS": "1"},
    }
    with launch("e2e", service_env=service_env) as running:
        yield running


@pytest.fixture
async def cast(stack: RunningStack) -> AsyncIterator[Cast]:
    """The test's people on the shared stack, each on a fresh loopback address."""
    async with Cast(stack.gateway_url) as people:
        yield people


@pytest.fixture
async def admin(cast: Cast, admin_credentials: tuple[str, str]) -> Actor:
    """The shared stack's admin, signed in from a fresh address."""
    return await cast.admin(admin_credentials)
