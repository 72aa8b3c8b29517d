"""Through the gateway, on a stack of its own (auth + booking, gateway limits lifted):
sign-in throttling (429 + Retry-After from auth), signing-key rotation seen by another service,
and the audit log (account actions, and a booking.confirmed message consumed by auth)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.stack import RunningStack
from shared.contracts.booking import BookedSeat, BookingConfirmedV1, EventSummary
from shared.messaging import Envelope, Names
from shared.testing.eventually import eventually
from tests.e2e.api_client import PASSWORD, Cast, audit_log, bearer, login, register, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def own_stack(launch: Any) -> Iterator[RunningStack]:
    throttle = {
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": "3",
        "LOGIN_MAX_FAILURES_PER_IP": "6",
        "LOGIN_IP_WINDOW_SECONDS": "120",
    }
    with launch(
        "authrot",
        services=("auth", "booking"),
        service_env={"auth": throttle},
        gateway_limits=False,
        JWKS_CACHE_SECONDS="1",
    ) as running:
        yield running


@pytest.fixture
async def cast(own_stack: RunningStack) -> AsyncIterator[Cast]:
    async with Cast(own_stack.gateway_url) as people:
        yield people


async def test_account_sign_in_is_throttled_by_auth_when_failures_reach_the_limit(
    cast: Cast,
) -> None:
    person = await register(cast.actor(), "r", signed_in=False)
    for _ in range(3):
        assert (await sign_in(person, person.email, "wrong password!")).status_code == 401
    from_elsewhere = cast.actor()  # the account, not the address, is locked
    throttled = await sign_in(from_elsewhere, person.email, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "rate_limited"
    assert throttled.json()["details"]["retry_after_seconds"] > 0  # auth's answer, not nginx's
    assert int(throttled.headers["retry-after"]) > 0


async def test_address_is_throttled_across_accounts_when_its_failures_reach_the_limit(
    cast: Cast,
) -> None:
    guesser = cast.actor()
    statuses = [
        (await sign_in(guesser, f"x{i}-{uuid.uuid4().hex}@example.test", "wrong pw!")).status_code
        for i in range(7)
    ]
    assert statuses == [401] * 6 + [429]
    # another address is not affected
    person = await register(cast.actor(), "r", signed_in=False)
    assert (await sign_in(cast.actor(), person.email, PASSWORD)).status_code == 200


def _new_key(path: Any) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


async def test_old_key_tokens_work_during_rollover_and_fail_once_dropped_when_rotating(
    own_stack: RunningStack, cast: Cast
) -> None:
    client = await register(cast.actor(), "r")
    old_token = client.token
    assert (await client.get("/api/bookings")).status_code == 200

    keys_dir = own_stack.config.keys_dir
    assert keys_dir is not None
    old_key, new_key = keys_dir / "jwt_ed25519.pem", keys_dir / "jwt_next.pem"
    _new_key(new_key)
    env = own_stack.config.service_extra_env["auth"]
    try:
        # rollover: sign with the new key, still publish the old one
        env |= {"JWT_PRIVATE_KEY_PATH": str(new_key), "JWT_PREVIOUS_KEY_PATHS": str(old_key)}
        await asyncio.to_thread(own_stack.restart, "auth")
        jwks = (await client.get("/api/auth/.well-known/jwks.json")).json()
        assert len(jwks["keys"]) == 2
        new_token = (await login(client, client.email, PASSWORD))["access_token"]
        for token in (old_token, new_token):
            assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200

            async def booking_status(token: str = token) -> int:
                response = await client.get("/api/bookings", headers=bearer(token))
                return response.status_code

            await eventually(booking_status, until=lambda s: s == 200, what="booking accepts")

        # the old key is dropped: its tokens stop working everywhere
        env.pop("JWT_PREVIOUS_KEY_PATHS")
        await asyncio.to_thread(own_stack.restart, "auth")
        me = await client.get("/api/auth/me", headers=bearer(old_token))
        assert me.status_code == 401 and me.json()["error"] == "unauthorized"

        async def old_on_booking() -> int:
            response = await client.get("/api/bookings", headers=bearer(old_token))
            return response.status_code

        await eventually(old_on_booking, until=lambda s: s == 401, what="booking refuses old")
        assert (await client.get("/api/bookings", headers=bearer(new_token))).status_code == 200
    finally:
        env.pop("JWT_PREVIOUS_KEY_PATHS", None)
        env.pop("JWT_PRIVATE_KEY_PATH", None)
        await asyncio.to_thread(own_stack.restart, "auth")


async def test_audit_log_shows_account_actions_and_consumed_bookings_when_admin_reads_it(
    own_stack: RunningStack, cast: Cast, admin_credentials: tuple[str, str]
) -> None:
    client = await register(cast.actor(), "r")
    me = (await client.get("/api/auth/me")).json()
    booking_id = uuid.uuid4()
    envelope = Envelope.wrap(
        BookingConfirmedV1(
            booking_id=booking_id,
            hold_id="hold-1",
            user_id=uuid.UUID(me["id"]),
            user_email=client.email,
            event_id=uuid.uuid4(),
            event=EventSummary(title="Show", starts_at=datetime.now(UTC), location="Hall"),
            amount=2500,
            currency="USD",
            seats=[BookedSeat(seat_id=None, tier="floor", price=2500)],
            tickets=[],
            payment_id=uuid.uuid4(),
        ),
        producer="booking",
    )
    connection = await aio_pika.connect(own_stack.config.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(Names(own_stack.config.messaging_namespace).exchange)
        await exchange.publish(
            aio_pika.Message(envelope.to_json(), message_id=str(envelope.id)),
            routing_key=envelope.type,
        )
    finally:
        await connection.close()

    admin = await cast.admin(admin_credentials)
    items = await eventually(
        lambda: audit_log(admin, actor_id=me["id"]),
        until=lambda i: any(e["action"] == "booking.confirmed" for e in i),
    )
    actions = [e["action"] for e in items]
    assert actions[0] == "booking.confirmed" and "user.login" in actions
    assert actions[-1] == "user.registered"  # newest first
    confirmed = items[0]
    assert confirmed["target"] == f"booking:{booking_id}"
    assert confirmed["details"]["amount"] == 2500
    signed_in = next(e for e in items if e["action"] == "user.login")
    assert signed_in["ip"] == client.address  # the real client address behind nginx
