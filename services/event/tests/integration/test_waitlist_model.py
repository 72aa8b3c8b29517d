"""Property: any sequence of public holds and releases, joins and leaves, hand-outs, lapsed and
sold offers on a general-admission tier answers exactly as a plain model of the waiting list's
rules — joined only while the tier has no place for everyone, public holds refused while anyone
waits, returned places offered to the first entry that fits in line order, lapsed offers passed
on (starting no cool-down for a later hold of one's own), sold ones fulfilled — and the tier's
held and sold places are always the model's (never more than its capacity).

The sequences are drawn from seeded generators (the in-process service and its event loop are
the fixtures', so hypothesis cannot drive them); a failure names its seed and step."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from event_service.context import Context
from event_service.service import waitlist
from shared.testing.fixtures import Handle

pytestmark = pytest.mark.integration

CAPACITY, PEOPLE, STEPS, SEEDS = 3, 4, 30, 40
# weighted so that a tier often sells out, has a line, and gets places back
ACTIONS = (
    ("hold",) * 3
    + ("join",) * 3
    + ("release",) * 2
    + ("hand_out",) * 2
    + (
        "leave",
        "lapse",
        "sell",
    )
)


@dataclass
class Model:
    sold: int = 0
    holds: dict[str, tuple[int, int]] = field(default_factory=dict)  # public: owner, places
    line: list[tuple[int, int]] = field(default_factory=list)  # (person, places), in order
    status: dict[int, str] = field(default_factory=dict)  # person's entry
    offers: dict[str, tuple[int, int]] = field(default_factory=dict)  # live offer: owner, places
    entry_offer: dict[int, str] = field(default_factory=dict)  # person → their entry's offer
    lapsed: set[str] = field(default_factory=set)  # offers whose hold ended, not yet settled

    @property
    def taken(self) -> int:
        held = [q for _, q in self.holds.values()] + [q for _, q in self.offers.values()]
        return self.sold + sum(held)

    @property
    def free(self) -> int:
        return CAPACITY - self.taken

    def join(self, person: int, places: int) -> tuple[int, str | None]:
        if self.status.get(person) in ("waiting", "offered"):
            return 409, "already_exists"
        if not self.line and self.free > 0:
            return 409, "not_sold_out"
        self.line.append((person, places))
        self.status[person] = "waiting"
        self.entry_offer.pop(person, None)
        return 201, None

    def leave(self, person: int) -> None:
        """The entry goes; an offer already made stays a hold of theirs."""
        self.line = [(p, q) for p, q in self.line if p != person]
        self.status.pop(person, None)
        self.entry_offer.pop(person, None)

    def hand_out(self) -> list[tuple[int, int]]:
        """Settle lapsed offers, then first fit while places are free: (person, places) offered
        (their holds are recorded by ``offered``)."""
        for hold in self.lapsed:
            for person, current in self.entry_offer.items():
                if current == hold and self.status.get(person) == "offered":
                    self.status[person] = "expired"
        self.lapsed.clear()
        made: list[tuple[int, int]] = []
        free = self.free
        while True:
            fits = [(p, q) for p, q in self.line if q <= free]
            if free <= 0 or not fits:
                return made
            person, places = fits[0]
            self.line.remove((person, places))
            self.status[person] = "offered"
            made.append((person, places))
            free -= places

    def offered(self, person: int, places: int, hold: str) -> None:
        self.offers[hold] = (person, places)
        self.entry_offer[person] = hold

    def end(self, hold: str, *, sold: bool) -> None:
        person, places = self.offers.pop(hold)
        current = self.entry_offer.get(person) == hold and self.status.get(person) == "offered"
        if sold:
            self.sold += places
            if current:
                self.status[person] = "fulfilled"
        elif current:
            self.lapsed.add(hold)

    def entries(self) -> dict[int, tuple[str, int | None]]:
        order = [p for p, _ in self.line]
        return {
            p: (s, order.index(p) + 1 if s == "waiting" else None) for p, s in self.status.items()
        }


async def _scenario(
    seed: int,
    client: httpx2.AsyncClient,
    context: Context,
    make_event: Any,
    buyer: Any,
    lapse: Any,
    handle: Handle,
    confirmed: Any,
) -> None:
    rng = random.Random(seed)
    event = await make_event(
        tiers=[{"code": "floor", "name": "Floor", "price": 100, "capacity": CAPACITY}],
        seating=[],
        max_tickets_per_order=CAPACITY,
        max_tickets_per_buyer=100,
    )
    event_id, base = uuid.UUID(event["id"]), f"/api/events/{event['id']}"
    people = [buyer() for _ in range(PEOPLE)]
    model = Model()
    for step in range(STEPS):
        action, person = rng.choice(ACTIONS), rng.randrange(PEOPLE)
        who, places = people[person], rng.randint(1, 2)
        where = f"seed {seed} step {step}: {action} by {person} ({places})"
        if action == "hold":
            answer = await client.post(
                f"{base}/holds", json={"tier": "floor", "quantity": places}, headers=who["headers"]
            )
            expected = 201 if not model.line and places <= model.free else 409
            assert answer.status_code == expected, (where, answer.text, model)
            if expected == 201:
                model.holds[answer.json()["hold_id"]] = (person, places)
        elif action == "release" and model.holds:
            hold_id = rng.choice(sorted(model.holds))
            owner = people[model.holds.pop(hold_id)[0]]
            path = f"{base}/holds/{hold_id}"
            assert (await client.delete(path, headers=owner["headers"])).status_code == 204
        elif action == "join":
            answer = await client.post(
                f"{base}/waitlist",
                json={"tier": "floor", "quantity": places},
                headers=who["headers"],
            )
            code, error = model.join(person, places)
            assert (answer.status_code, answer.json().get("error")) == (code, error), (where, model)
        elif action == "leave":
            left = await client.delete(f"{base}/waitlist/me?tier=floor", headers=who["headers"])
            assert left.status_code == 204
            model.leave(person)
        elif action == "hand_out":
            made = model.hand_out()
            await waitlist.hand_out(context)
            for person_offered, offered in made:
                mine = people[person_offered]["id"]
                [entry] = await context.waitlist.mine(event_id, mine, ["floor"])
                assert (entry.status, entry.quantity) == ("offered", offered), (where, entry)
                assert entry.hold_id is not None
                model.offered(person_offered, offered, entry.hold_id)
        elif action in ("lapse", "sell") and model.offers:
            hold_id = rng.choice(sorted(model.offers))
            hold = await context.holds.get(event_id, hold_id)
            assert hold is not None, where
            owner, offered = model.offers[hold_id]
            if action == "lapse":
                await lapse(hold)
                await context.holds.sweep()
            else:
                body = {
                    "hold_id": hold_id,
                    "amount": 100 * offered,
                    "currency": "USD",
                    "seats": [{"seat_id": None, "tier": "floor", "price": 100}] * offered,
                }
                message = confirmed(event, body, user_id=people[owner]["id"])
                assert await handle(message) == "handled"
            model.end(hold_id, sold=action == "sell")
        await _check(context, event_id, people, model, where)


async def _check(
    context: Context, event_id: uuid.UUID, people: list[dict[str, Any]], model: Model, where: str
) -> None:
    seen = {}
    for index, who in enumerate(people):
        for entry in await context.waitlist.mine(event_id, who["id"], ["floor"]):
            seen[index] = (entry.status, entry.position)
    assert seen == model.entries(), (where, model)
    count = (await context.sold.snapshot(event_id, [], ["floor"]))["floor"]
    assert count.sold + count.held == model.taken <= CAPACITY, (where, count, model)


async def test_waiting_list_answers_as_the_model_after_any_sequence(
    client: httpx2.AsyncClient,
    context: Context,
    make_event: Any,
    buyer: Any,
    lapse: Any,
    handle: Handle,
    confirmed: Any,
) -> None:
    for seed in range(SEEDS):
        await _scenario(seed, client, context, make_event, buyer, lapse, handle, confirmed)
