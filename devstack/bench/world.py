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
    holds_event: str = ""
    contended_event: str = ""
    journey_event: str = ""
    journey_seats: list[str] = field(default_factory=list)
    buyers: list[dict[str, str]] = field(default_factory=list)  # email, password, token

    def write(self, folder: Path) -> dict[str, Path]:
        """The JSON files the k6 scripts read."""
        files = {
            "tokens": folder / "tokens.json",
            "users": folder / "users.json",
            "journey": folder / "journey.json",
        }
        files["tokens"].write_text(json.dumps([b["token"] for b in self.buyers]))
        users = [{"email": b["email"], "password": b["password"]} for b in self.buyers]
        files["users"].write_text(json.dumps(users))
        files["journey"].write_text(
            json.dumps(
                {
                    "gateway_url": self.gateway_url,
                    "event_id": self.journey_event,
                    "seat_ids": self.journey_seats,
                    "buyer_tokens": [b["token"] for b in self.buyers],
                }
            )
        )
        return files


def _ok(response: httpx2.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


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


def prepare(
    gateway_url: str, *, admin: tuple[str, str], buyers: int, hold_rows: int, journeys: int
) -> World:
    """Organizer, a ``hold_rows``×100-seat event, a small contended event, a journey event of
    exactly ``journeys`` seats (so the journey scenario sells it out) and ``buyers`` buyers."""
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
        token = _login(http, organizer["email"], PASSWORD)
        world.holds_event, _ = _event(http, token, rows=hold_rows, title="Holds")
        world.contended_event, _ = _event(http, token, rows=1, title="Contended")
        world.journey_event, seats = _event(
            http, token, rows=-(-journeys // SEATS_PER_ROW), title="Journeys"
        )
        world.journey_seats = seats[:journeys]

        def buyer(i: int) -> dict[str, str]:  # argon2 is slow on purpose: a few at a time
            person = _register(http, f"buyer{i}")
            return person | {"token": _login(http, person["email"], PASSWORD)}

        with ThreadPoolExecutor(max_workers=4) as pool:
            world.buyers = list(pool.map(buyer, range(buyers)))
    return world
