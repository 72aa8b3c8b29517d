"""What the benchmark scenarios need, created through the gateway like any client would:
an organizer, published events, and signed-in buyers."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

PASSWORD = "bench-password-123"
SEATS_PER_ROW = 100


@dataclass
class World:
    gateway_url: str
    organizer_token: str = ""
    large_event: str = ""  # 50,000 seats
    small_event: str = ""  # 200 seats
    catalogue: int = 0  # published events in the listing
    buyers: list[dict[str, str]] = field(default_factory=list)  # email, password, token

    def write(self, folder: Path) -> dict[str, Path]:
        """The JSON files the k6 scripts read (journeys get theirs from :meth:`journey`)."""
        files = {"tokens": folder / "tokens.json", "users": folder / "users.json"}
        files["tokens"].write_text(json.dumps([b["token"] for b in self.buyers]))
        users = [{"email": b["email"], "password": b["password"]} for b in self.buyers]
        files["users"].write_text(json.dumps(users))
        return files

    def journey(self, folder: Path, name: str, *, seats: int) -> Path:
        """A new published event of at least ``seats`` seats for one journey run, as k6 input."""
        with httpx2.Client(base_url=self.gateway_url, timeout=30) as http:
            event_id, seat_ids = _event(
                http, self.organizer_token, rows=-(-seats // SEATS_PER_ROW), title=name
            )
        path = folder / f"journey-{name}.json"
        path.write_text(
            json.dumps(
                {
                    "gateway_url": self.gateway_url,
                    "event_id": event_id,
                    "seat_ids": seat_ids,
                    "buyer_tokens": [b["token"] for b in self.buyers],
                }
            )
        )
        return path


def _ok(response: httpx2.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def published_event(world: World, body: dict[str, Any]) -> str:
    """Create ``body`` as the world's organizer and publish it: the event's id."""
    auth = {"Authorization": f"Bearer {world.organizer_token}"}
    with httpx2.Client(base_url=world.gateway_url, timeout=30) as http:
        event_id = str(_ok(http.post("/api/events", json=body, headers=auth), 201)["id"])
        _ok(http.post(f"/api/events/{event_id}/publish", headers=auth), 200)
    return event_id


def _login(http: httpx2.Client, email: str, password: str) -> str:
    body = _ok(http.post("/api/auth/login", json={"email": email, "password": password}), 200)
    return str(body["access_token"])


def _register(http: httpx2.Client, name: str) -> dict[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@bench.test"
    user = {"email": email, "password": PASSWORD, "full_name": name}
    created = _ok(http.post("/api/auth/register", json=user), 201)
    return {"id": created["id"], "email": email, "password": PASSWORD}


def _event(http: httpx2.Client, token: str, *, rows: int, title: str) -> tuple[str, list[str]]:
    starts = datetime.now(UTC) + timedelta(days=30)
    row_names = [f"R{i}" for i in range(rows)]
    body = {
        "title": f"{title} {uuid.uuid4().hex[:6]}",
        "location": "Bench Arena",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 10,
        "max_tickets_per_buyer": 1000,  # the most the API allows
        # k6 sends every buyer's holds from one address, and buyers re-hold at once
        "hold_rules": {"max_live_holds_per_address": None, "rehold_cooldown_seconds": 0},
        "tiers": [{"code": "std", "name": "Standard", "price": 2500}],
        "seating": [
            {"section": "A", "tier": "std", "rows": row_names, "seats_per_row": SEATS_PER_ROW}
        ],
    }
    auth = {"Authorization": f"Bearer {token}"}
    event_id = str(_ok(http.post("/api/events", json=body, headers=auth, timeout=120), 201)["id"])
    _ok(http.post(f"/api/events/{event_id}/publish", headers=auth), 200)
    seats = [f"A-{row}-{n}" for row in row_names for n in range(1, SEATS_PER_ROW + 1)]
    return event_id, seats


def _catalogue_event(http: httpx2.Client, token: str, n: int) -> None:
    """One small published general-admission event of the browse catalogue."""
    starts = datetime.now(UTC) + timedelta(days=10 + n % 300, hours=n % 24)
    body = {
        "title": f"Catalogue show {n}",
        "description": "An evening of music, theatre and surprise, listed for the benchmark.",
        "location": ("Lisbon", "Porto", "Madrid", "Berlin", "Paris")[n % 5] + " Hall",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "currency": "EUR",
        "tiers": [
            {"code": "floor", "name": "Floor", "price": 2500 + n, "capacity": 100},
            {"code": "balcony", "name": "Balcony", "price": 1500 + n, "capacity": 50},
        ],
    }
    auth = {"Authorization": f"Bearer {token}"}
    event_id = _ok(http.post("/api/events", json=body, headers=auth), 201)["id"]
    _ok(http.post(f"/api/events/{event_id}/publish", headers=auth), 200)


def prepare(
    gateway_url: str, *, admin: tuple[str, str], buyers: int, catalogue: int, large_rows: int
) -> World:
    """An organizer, ``catalogue`` small published events (the browse listing), a
    ``large_rows``×100-seat event, a 200-seat event and ``buyers`` signed-in buyers."""
    world = World(gateway_url)
    with httpx2.Client(base_url=gateway_url, timeout=30) as http:
        admin_token = _login(http, *admin)
        organizer = _register(http, "organizer")
        _ok(
            http.patch(
                f"/api/auth/admin/users/{organizer['id']}",
                json={"role": "organizer"},
                headers={"Authorization": f"Bearer {admin_token}"},
            ),
            200,
        )
        token = world.organizer_token = _login(http, organizer["email"], PASSWORD)
        world.large_event, _ = _event(http, token, rows=large_rows, title="Large")
        world.small_event, _ = _event(http, token, rows=2, title="Small")
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: _catalogue_event(http, token, n), range(catalogue)))
        world.catalogue = catalogue + 2

        def buyer(i: int) -> dict[str, str]:  # argon2 is slow on purpose: a few at a time
            person = _register(http, f"buyer{i}")
            return person | {"token": _login(http, person["email"], PASSWORD)}

        with ThreadPoolExecutor(max_workers=4) as pool:
            world.buyers = list(pool.map(buyer, range(buyers)))
    return world
