"""The e2e tests' one API client: people, each on a loopback address of their own, and the steps
of the purchase through the gateway (sign up, events, holds, bookings, payments, tickets, mail,
the audit log). Every e2e module uses these; none keeps a private copy.

Each address is fresh for the whole test session (``fresh_address``), so every actor has its own
bucket at the gateway's per-address limit (10 r/s, burst 20) and at auth's sign-in throttle.
``Actor.call`` waits out a 429 as a polite client would; ``Actor.once`` and ``sign_in`` send one
request and hand back whatever comes, for the tests whose subject is the 429 itself.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from shared.testing.eventually import eventually

PASSWORD = "correct horse battery"
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
NO_FUNDS_CARD = "4000000000009995"
ERROR_CARD = "4000000000000119"


def _loopback() -> Iterator[str]:
    # 127.0.x.x stays out: 127.0.0.1 is the address the services believe X-Forwarded-For from.
    for a in range(1, 255):
        for b in range(256):
            for c in range(1, 255):
                yield f"127.{a}.{b}.{c}"


_addresses = _loopback()


def fresh_address() -> str:
    """A loopback address no other client of this test session has used."""
    return next(_addresses)


def client(gateway_url: str, address: str, timeout: float = 20) -> httpx2.AsyncClient:
    """An HTTP client of the gateway whose connections come from ``address``."""
    transport = httpx2.AsyncHTTPTransport(local_address=address)
    return httpx2.AsyncClient(
        base_url=gateway_url, transport=transport, timeout=timeout, trust_env=False
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Actor:
    """Someone using the API: a client on their own address, their account and their tokens."""

    http: httpx2.AsyncClient
    address: str
    user: dict[str, Any] = field(default_factory=dict)
    token: str = ""
    refresh_token: str = ""

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def email(self) -> str:
        return str(self.user["email"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}

    async def once(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx2.Response:
        """One request with this actor's token (``headers`` win); a 429 comes back as it is."""
        return await self.http.request(
            method, url, headers=self.headers | (headers or {}), **kwargs
        )

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        """Like ``once``, but a 429 is waited out (``Retry-After``) and the request sent again."""
        for _ in range(20):
            response = await self.once(method, url, **kwargs)
            if response.status_code != 429:
                return response
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("DELETE", url, **kwargs)


class Cast:
    """The people of a test module on one gateway; ``async with`` closes their clients."""

    def __init__(self, gateway_url: str, *, timeout: float = 20) -> None:
        self.gateway_url, self.timeout = gateway_url, timeout
        self._clients: list[httpx2.AsyncClient] = []

    def actor(self, address: str | None = None) -> Actor:
        """Someone anonymous, on ``address`` (a fresh one if not given)."""
        address = address or fresh_address()
        http = client(self.gateway_url, address, self.timeout)
        self._clients.append(http)
        return Actor(http, address)

    def beside(self, actor: Actor, address: str | None = None) -> Actor:
        """The same account and tokens from another address (another device, or behind a NAT)."""
        other = self.actor(address)
        other.user, other.token, other.refresh_token = actor.user, actor.token, actor.refresh_token
        return other

    async def person(self, name: str) -> Actor:
        """A new customer, signed in."""
        return await register(self.actor(), name)

    async def admin(self, credentials: tuple[str, str]) -> Actor:
        """The stack's admin, signed in."""
        admin = self.actor()
        await login(admin, *credentials)
        return admin

    async def organizer(self, admin: Actor, name: str) -> Actor:
        """A new user the admin has made an organizer, signed in again with that role."""
        person = await self.person(name)
        await promote_to_organizer(admin, person)
        return person

    async def __aenter__(self) -> Cast:
        return self

    async def __aexit__(self, *_: object) -> None:
        for http in self._clients:
            await http.aclose()


@dataclass
class Stage:
    """A test module's scene on one stack: its people, the admin, an organizer and — when asked
    for — one of the organizer's events on sale."""

    cast: Cast
    admin: Actor
    organizer: Actor
    event: dict[str, Any]


@asynccontextmanager
async def stage(
    gateway_url: str, admin_credentials: tuple[str, str], *, organizer: str, rows: list[str] | None
) -> AsyncIterator[Stage]:
    """The admin signed in, ``organizer`` made an organizer and, with ``rows``, an event of theirs
    on sale (``event_body(rows=rows)``); the clients close afterwards."""
    async with Cast(gateway_url) as cast:
        admin = await cast.admin(admin_credentials)
        host = await cast.organizer(admin, organizer)
        event = await published_event(host, rows=rows) if rows else {}
        yield Stage(cast, admin, host, event)


# --- accounts ---------------------------------------------------------------------------------


async def sign_in(actor: Actor, email: str, password: str, **kwargs: Any) -> httpx2.Response:
    """One sign-in attempt, without the actor's token; its answer as it is (a 401 or 429
    included); the actor's tokens stay as they were."""
    body = {"email": email, "password": password}
    return await actor.http.post("/api/auth/login", json=body, **kwargs)


async def login(actor: Actor, email: str, password: str) -> dict[str, Any]:
    """Sign in: a new session whose tokens the actor uses from now on."""
    response = await actor.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    assert pair["token_type"] == "bearer" and pair["refresh_token"]
    actor.token, actor.refresh_token = str(pair["access_token"]), str(pair["refresh_token"])
    return pair


async def new_session(actor: Actor) -> dict[str, Any]:
    """Sign in again elsewhere: another session's token pair; the actor keeps its own tokens."""
    response = await sign_in(actor, actor.email, PASSWORD)
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


async def logout(actor: Actor, pair: dict[str, Any]) -> None:
    """End the session of ``pair``."""
    response = await actor.once(
        "POST",
        "/api/auth/logout",
        json={"refresh_token": pair["refresh_token"]},
        headers=bearer(pair["access_token"]),
    )
    assert response.status_code == 204, response.text


async def register(actor: Actor, name: str, *, signed_in: bool = True) -> Actor:
    """Sign up as ``<name>-<random>@example.test`` with ``PASSWORD``; then sign in, unless told not
    to."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
    body = {"email": email, "password": PASSWORD, "full_name": name.title()}
    response = await actor.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    actor.user = response.json()
    if signed_in:
        await login(actor, email, PASSWORD)
    return actor


async def update_user(admin: Actor, user: Actor, **changes: Any) -> dict[str, Any]:
    """The admin changes a user's ``role`` or ``disabled``."""
    response = await admin.patch(f"/api/auth/admin/users/{user.id}", json=changes)
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


async def promote_to_organizer(admin: Actor, actor: Actor) -> None:
    """The admin makes ``actor`` an organizer; the actor signs in again to carry the role."""
    updated = await update_user(admin, actor, role="organizer")
    assert updated["role"] == "organizer"
    await login(actor, actor.email, PASSWORD)


async def mailed_token(mailbox: Any, email: str) -> str:
    """The token (43 URL-safe characters on a line of its own) in the latest mail to ``email``."""

    async def token() -> str | None:
        for message in reversed(mailbox.to(email)):
            parts = message.walk() if message.is_multipart() else [message]
            for part in parts:
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    found = re.search(r"^([A-Za-z0-9_-]{43})\r?$", text, re.MULTILINE)
                    if found:
                        return found.group(1)
        return None

    return await eventually(token, timeout=20, what=f"a mailed token for {email}")


async def verify_email(actor: Actor, mailbox: Any) -> None:
    """Verify with the welcome mail's token, then sign in again (``email_verified: true``)."""
    verified = await actor.post(
        "/api/auth/verify-email", json={"token": await mailed_token(mailbox, actor.email)}
    )
    assert verified.status_code == 204, verified.text
    await login(actor, actor.email, PASSWORD)


async def audit_log(admin: Actor, **params: Any) -> list[dict[str, Any]]:
    """One page (up to 100 entries, newest first) of auth's audit log, filtered by ``params``."""
    response = await admin.get("/api/auth/admin/audit-logs", params={"page_size": 100} | params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- events -----------------------------------------------------------------------------------


def future(**delta: float) -> str:
    """Now plus ``delta`` (``timedelta`` keywords), as ISO 8601."""
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def event_body(
    *, rows: list[str] | None = None, seats_per_row: int = 10, **overrides: Any
) -> dict[str, Any]:
    """A valid create body in 30 days: one VIP tier (80.00) seated in section A, ``rows`` ×
    ``seats_per_row``; any field can be overridden."""
    starts = datetime.now(UTC) + timedelta(days=30)
    body: dict[str, Any] = {
        "title": f"Live {uuid.uuid4().hex[:6]}",
        "description": "A show through the whole system.",
        "location": "Main Hall",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 6,
        "max_tickets_per_buyer": 6,
        "tiers": [{"code": "vip", "name": "VIP", "price": 8000}],
        "seating": [
            {"section": "A", "tier": "vip", "rows": rows or ["A"], "seats_per_row": seats_per_row}
        ],
    }
    return body | overrides


async def create_event(organizer: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """A draft event."""
    created = await organizer.post("/api/events", json=body)
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    return event


async def publish_event(organizer: Actor, event_id: str) -> dict[str, Any]:
    published = await organizer.post(f"/api/events/{event_id}/publish")
    assert published.status_code == 200, published.text
    event: dict[str, Any] = published.json()
    assert event["status"] == "published"
    return event


async def published_event(
    organizer: Actor, body: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    """An event on sale: ``body``, or ``event_body(**overrides)``; the created resource."""
    event = await create_event(organizer, body or event_body(**overrides))
    await publish_event(organizer, event["id"])
    return event


async def tier_of(actor: Actor, event_id: str, code: str) -> dict[str, Any]:
    """One tier of the event's detail: ``capacity``, ``available``, ``held``, ``sold``."""
    detail = (await actor.get(f"/api/events/{event_id}")).json()
    tier: dict[str, Any] = next(t for t in detail["tiers"] if t["code"] == code)
    return tier


async def seat_statuses(actor: Actor, event_id: str) -> dict[str, str]:
    """The seat map: seat id → ``available`` / ``held`` / ``sold``."""
    response = await actor.get(f"/api/events/{event_id}/seats")
    assert response.status_code == 200, response.text
    return {s["seat_id"]: s["status"] for s in response.json()}


async def seats_become(actor: Actor, event_id: str, seat_ids: list[str], status: str) -> None:
    await eventually(
        lambda: seat_statuses(actor, event_id),
        until=lambda seats: all(seats[s] == status for s in seat_ids),
        what=f"seats {status}",
    )


# --- buying -----------------------------------------------------------------------------------


async def try_hold(buyer: Actor, event_id: str, body: dict[str, Any]) -> httpx2.Response:
    """Ask for a hold (``seat_ids``, or ``tier`` + ``quantity`` [+ ``best_available``])."""
    return await buyer.post(f"/api/events/{event_id}/holds", json=body)


async def hold(buyer: Actor, event_id: str, seat_ids: list[str]) -> dict[str, Any]:
    """A hold on these seats."""
    response = await try_hold(buyer, event_id, {"seat_ids": seat_ids})
    assert response.status_code == 201, response.text
    held: dict[str, Any] = response.json()
    return held


async def book_hold(buyer: Actor, hold_id: str, *, key: str | None = None) -> dict[str, Any]:
    """A booking of the hold (``key``: its Idempotency-Key)."""
    headers = {"Idempotency-Key": key} if key else {}
    response = await buyer.post("/api/bookings", json={"hold_id": hold_id}, headers=headers)
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return booking


async def book(buyer: Actor, event_id: str, seat_ids: list[str]) -> dict[str, Any]:
    """Hold these seats and book the hold: a booking waiting for payment."""
    held = await hold(buyer, event_id, seat_ids)
    return await book_hold(buyer, held["hold_id"])


def payment_body(booking_id: str, card: str = GOOD_CARD) -> dict[str, Any]:
    return {
        "booking_id": booking_id,
        "card_number": card,
        "exp_month": 12,
        "exp_year": datetime.now(UTC).year + 2,
        "cvc": "123",
    }


async def pay(
    buyer: Actor, booking_id: str, card: str = GOOD_CARD, *, key: str | None = None
) -> httpx2.Response:
    """Pay for the booking with ``card`` (``key``: the Idempotency-Key); the answer as it is."""
    headers = {"Idempotency-Key": key} if key else {}
    return await buyer.post("/api/payments", json=payment_body(booking_id, card), headers=headers)


async def confirmed_booking(
    buyer: Actor, event_id: str, seat_ids: list[str]
) -> tuple[dict[str, Any], str]:
    """Book and pay with the good card until the booking is confirmed: it and its payment id."""
    booking = await book(buyer, event_id, seat_ids)
    paid = await pay(buyer, booking["id"])
    assert paid.status_code == 201 and paid.json()["status"] == "succeeded", paid.text
    confirmed = await booking_reaches(buyer, booking["id"], "confirmed")
    return confirmed, str(paid.json()["id"])


async def booking_reaches(
    actor: Actor, booking_id: str, status: str, timeout: float = 15
) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        # waits (up to 5 s) while the booking awaits payment: usually one request
        return dict((await actor.get(f"/api/bookings/{booking_id}?wait=5")).json())

    return await eventually(
        read, until=lambda b: b.get("status") == status, timeout=timeout, what=f"booking {status}"
    )


async def payment_reaches(actor: Actor, payment_id: str, status: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        return dict((await actor.get(f"/api/payments/{payment_id}")).json())

    return await eventually(
        read, until=lambda p: p.get("status") == status, what=f"payment {status}"
    )


async def payments_of(buyer: Actor, booking_id: str) -> list[dict[str, Any]]:
    listed = await buyer.get("/api/payments", params={"booking_id": booking_id})
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


# --- tickets ----------------------------------------------------------------------------------


def ticket_pdf_path(booking_id: str) -> str:
    return f"/api/notifications/tickets/{booking_id}/pdf"


async def ticket_pdf(actor: Actor, booking_id: str) -> httpx2.Response:
    """The booking's PDF once notification has rendered it (a 200)."""
    return await eventually(
        lambda: actor.get(ticket_pdf_path(booking_id)),
        until=lambda r: r.status_code == 200,
        what="PDF ticket",
    )
