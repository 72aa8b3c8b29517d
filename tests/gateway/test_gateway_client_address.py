"""The client address a service sees is the gateway's peer, never what the client wrote."""

from __future__ import annotations

from collections.abc import Callable

import httpx2

from devstack.gateway import GATEWAY_SOURCE_ADDRESS
from devstack.stack import RunningGateway

SPOOFED = "198.51.100.7"


def test_client_x_forwarded_for_is_overwritten_when_proxied(
    client: httpx2.Client, source_address: str
) -> None:
    headers = {"X-Forwarded-For": SPOOFED, "X-Real-IP": SPOOFED, "Forwarded": f"for={SPOOFED}"}
    echoed = client.get("/api/events", headers=headers).json()
    assert echoed["headers"]["x-forwarded-for"] == source_address
    assert echoed["headers"]["x-real-ip"] == source_address
    assert "forwarded" not in echoed["headers"]
    assert echoed["client"] == source_address


def test_every_client_x_forwarded_for_is_dropped_when_sent_twice(
    client: httpx2.Client, source_address: str
) -> None:
    headers = [("X-Forwarded-For", SPOOFED), ("X-Forwarded-For", "203.0.113.9, 10.0.0.1")]
    echoed = client.get("/api/v1/bookings", headers=headers).json()
    assert echoed["headers"]["x-forwarded-for"] == source_address
    assert echoed["client"] == source_address


def test_service_sees_the_real_address_when_a_client_on_the_gateway_address_spoofs(
    gateway: RunningGateway, client_for: Callable[[str, str], httpx2.Client]
) -> None:
    # A client on the very address the services trust (any local client in devstack):
    # appending to its header used to hand the service the spoofed value.
    local = client_for(gateway.url, GATEWAY_SOURCE_ADDRESS)
    echoed = local.post("/api/auth/login", json={}, headers={"X-Forwarded-For": SPOOFED}).json()
    assert echoed["headers"]["x-forwarded-for"] == GATEWAY_SOURCE_ADDRESS
    assert echoed["client"] == GATEWAY_SOURCE_ADDRESS
