"""The authorization matrix through the gateway (``authz_table.py``): every public operation
asked by an anonymous caller, another customer, another organizer, the owner and an admin,
each answer compared with the table — which is also ``docs/authorization.md``."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from devstack.services import REPO_ROOT
from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    GOOD_CARD,
    PASSWORD,
    Actor,
    Cast,
    bearer,
    book_hold,
    confirmed_booking,
    create_event,
    event_body,
    hold,
    payment_body,
    published_event,
    sign_in,
    ticket_pdf,
)
from tests.e2e.authz_table import OPS, ROLES, Op, render

pytestmark = pytest.mark.e2e

DOC = REPO_ROOT / "docs" / "authorization.md"


@dataclass
class World:
    """The matrix's people and objects (see ``authz_table``)."""

    actors: dict[str, Actor]  # by role, the owner being the organizer ``O``
    passwords: dict[str, tuple[str, str]]  # by role: email and password (a session of their own)
    organizer: Actor  # O: the event's organizer, the webhook's registrant
    buyer: Actor  # C: the booking's, the hold's and the payment's owner
    ids: dict[str, str]
    standing: dict[str, dict[str, Any]] = field(default_factory=dict)
    seats: int = 10  # the next free seat of row A

    def seat(self) -> str:
        self.seats += 1
        return f"A-A-{self.seats}"

    def owner(self, op: Op) -> Actor:
        return self.buyer if op.owner == "the buyer" else self.organizer

    async def fresh(self, kind: str, succeeds: bool) -> dict[str, Any]:
        """A new object of ``kind`` for a caller who may change it; the one standing object
        for the callers who must be refused (they leave it as it is)."""
        if not succeeds:
            if kind not in self.standing:
                self.standing[kind] = await self._make(kind, standing=True)
            return self.standing[kind]
        return await self._make(kind, standing=False)

    async def _make(self, kind: str, *, standing: bool) -> dict[str, Any]:
        o, c = self.organizer, self.buyer
        event = self.ids["event"]
        if kind == "event_body":
            return {"body": event_body()}
        if kind == "draft":
            return {"draft": (await create_event(o, event_body()))["id"]}
        if kind == "published":
            return {"published": (await published_event(o))["id"]}
        if kind == "hold":
            found = await hold(c, event, [self.seat()])
            return {"fresh_hold": found["hold_id"], "body": {"hold_id": found["hold_id"]}}
        if kind == "pending":
            held = await hold(c, event, [self.seat()])
            return {"pending": (await book_hold(c, held["hold_id"]))["id"]}
        if kind == "payable":
            held = await hold(c, event, [self.seat()])
            booking = await book_hold(c, held["hold_id"])
            return {"body": payment_body(booking["id"], GOOD_CARD)}
        if kind == "refundable":
            if standing:
                return {"refundable": self.ids["payment"]}
            _, payment = await confirmed_booking(c, event, [self.seat()])
            return {"refundable": payment}
        if kind == "ticket":
            code = self.ids["code"] if standing else await self._ticket(c, event)
            return {"body": {"code": code}}
        if kind == "webhook":
            body = {"url": "http://127.0.0.1:9/matrix", "events": ["ticket.checked_in"]}
            made = await o.post("/api/notifications/webhooks", json=body)
            return {"fresh_webhook": made.json()["id"]}
        if kind == "application":
            return {"files": {"organization_name": (None, "Matrix Org"),
                              "details": (None, "We run shows.")}}  # fmt: skip
        raise KeyError(kind)

    async def _ticket(self, buyer: Actor, event: str) -> str:
        booking, _ = await confirmed_booking(buyer, event, [self.seat()])
        return str(booking["tickets"][0]["code"])


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def _ask(world: World, op: Op, role: str, expected: int) -> int:
    actor = world.owner(op) if role == "owner" else world.actors[role]
    ids: dict[str, Any] = dict(world.ids, random=str(uuid.uuid4()),
                               email=f"mx-{uuid.uuid4().hex[:10]}@matrix.test")  # fmt: skip
    extra: dict[str, Any] = {}
    if op.fresh == "session":  # logging out ends a new session, not the one the matrix uses
        if role in world.passwords:
            pair = (await sign_in(actor, *world.passwords[role])).json()
            extra = {"json": {"refresh_token": pair["refresh_token"]},
                     "headers": bearer(pair["access_token"])}  # fmt: skip
    elif op.fresh is not None:
        made = await world.fresh(op.fresh, 200 <= expected < 300)
        ids |= {k: v for k, v in made.items() if k not in ("body", "files")}
        if "body" in made:
            extra["json"] = made["body"]
        if "files" in made:
            extra["files"] = made["files"]
    if op.body is not None and "json" not in extra:
        extra["json"] = _fill(op.body, ids)
    if op.params:
        extra["params"] = op.params
    path = op.path.format(**ids)
    if path.endswith("/live"):  # a stream that never ends: the status line is the answer
        return await _stream_status(actor, path)
    return (await actor.call(op.method, path, **extra)).status_code


async def _stream_status(actor: Actor, path: str) -> int:
    for _ in range(20):
        async with actor.http.stream("GET", path, headers=actor.headers) as response:
            if response.status_code != 429:
                return response.status_code
            wait = float(response.headers.get("retry-after", "1"))
        await asyncio.sleep(wait)
    return 429


async def _world(cast: Cast, admin: Actor, admin_credentials: tuple[str, str]) -> World:
    organizer = await cast.organizer(admin, "mx-owner")
    other = await cast.organizer(admin, "mx-other-organizer")
    buyer, customer = await cast.person("mx-buyer"), await cast.person("mx-customer")
    hook = await organizer.post(
        "/api/notifications/webhooks",
        json={"url": "http://127.0.0.1:9/matrix", "events": ["booking.confirmed"]},
    )
    assert hook.status_code == 201, hook.text
    event = await published_event(organizer, event_body(seats_per_row=40, max_tickets_per_buyer=50))
    booking, payment = await confirmed_booking(buyer, event["id"], ["A-A-1"])
    held = await hold(buyer, event["id"], ["A-A-2"])
    await ticket_pdf(buyer, booking["id"])
    deliveries = await eventually(
        lambda: organizer.get(f"/api/notifications/webhooks/{hook.json()['id']}/deliveries"),
        until=lambda r: r.status_code == 200 and r.json()["items"], what="a delivery",
    )  # fmt: skip
    ids = {
        "event": event["id"],
        "hold": held["hold_id"],
        "booking": booking["id"],
        "payment": payment,
        "code": booking["tickets"][0]["code"],
        "webhook": hook.json()["id"],
        "delivery": deliveries.json()["items"][0]["id"],
    }
    anonymous = cast.actor()
    actors = {"anonymous": anonymous, "customer": customer, "organizer": other, "admin": admin}
    passwords = {
        "customer": (customer.email, PASSWORD),
        "organizer": (other.email, PASSWORD),
        "admin": admin_credentials,
    }
    return World(actors, passwords, organizer, buyer, ids)


def test_the_document_is_the_table() -> None:
    assert DOC.read_text() == render(), "regenerate: python -m tests.e2e.authz_table"


async def test_every_caller_gets_the_matrixs_answer_for_every_operation(
    cast: Cast, admin: Actor, admin_credentials: tuple[str, str]
) -> None:
    world = await _world(cast, admin, admin_credentials)
    wrong = []
    for op in OPS:
        for role, expected in zip(ROLES, op.expected, strict=True):
            if expected is None:
                continue
            got = await _ask(world, op, role, expected)
            if got != expected:
                wrong.append(f"{op.name} as {role}: {got}, the matrix says {expected}")
    assert wrong == [], "\n".join(wrong)
