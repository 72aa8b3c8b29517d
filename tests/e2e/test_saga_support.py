"""Helpers for the saga journeys (test_saga_*.py): people, an event, holds, bookings, payments.

No tests here. Every actor is an HTTP client bound to its own loopback address (its own
rate-limit bucket at the gateway); a 429 is waited out as a polite client would.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
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


def addresses(block: int) -> Iterator[str]:
    """127.0.<block>.1, .2, …: a range apart from the shared conftest's 127.0.0.x clients."""
    return (f"127.0.{block}.{n}" for n in range(1, 255))


@dataclass
class Actor:
    http: httpx2.AsyncClient
    user: dict[str, Any] = field(default_factory=dict)
    token: str = ""

    @property
    def id(self) -> str:
        return str(self.user["id"])

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    async def call(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx2.Response:
        for _ in range(20):
            response = await self.http.request(
                method, url, headers=self._headers(headers), **kwargs
            )
            if response.status_code != 429:
                return response
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx2.Response:
        return await self.call("POST", url, **kwargs)


def client(gateway_url: str, address: str) -> httpx2.AsyncClient:
    transport = httpx2.AsyncHTTPTransport(local_address=address)
    return httpx2.AsyncClient(base_url=gateway_url, transport=transport, timeout=20)


async def login(actor: Actor, email: str, password: str) -> None:
    response = await actor.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    actor.token = str(response.json()["access_token"])


async def register(actor: Actor, name: str) -> Actor:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
    response = await actor.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "full_name": name.title()}
    )
    assert response.status_code == 201, response.text
    actor.user = response.json()
    await login(actor, email, PASSWORD)
    return actor


async def promote_to_organizer(admin: Actor, actor: Actor) -> None:
    response = await admin.call(
        "PATCH", f"/api/auth/admin/users/{actor.id}", json={"role": "organizer"}
    )
    assert response.status_code == 200, response.text
    await login(actor, actor.user["email"], PASSWORD)


def event_body(*, rows: list[str], seats_per_row: int = 10) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=30)
    return {
        "title": f"Saga Live {uuid.uuid4().hex[:6]}",
        "description": "Every path of the booking saga.",
        "location": "Main Hall",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 6,
        "max_tickets_per_buyer": 6,
        "tiers": [{"code": "vip", "name": "VIP", "price": 8000}],
        "seating": [{"section": "A", "tier": "vip", "rows": rows, "seats_per_row": seats_per_row}],
    }


async def published_event(organizer: Actor, *, rows: list[str]) -> dict[str, Any]:
    created = await organizer.post("/api/events", json=event_body(rows=rows))
    assert created.status_code == 201, created.text
    event: dict[str, Any] = created.json()
    published = await organizer.post(f"/api/events/{event['id']}/publish")
    assert published.status_code == 200, published.text
    return event


async def hold(buyer: Actor, event_id: str, seat_ids: list[str]) -> dict[str, Any]:
    response = await buyer.post(f"/api/events/{event_id}/holds", json={"seat_ids": seat_ids})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def book(buyer: Actor, event_id: str, seat_ids: list[str]) -> dict[str, Any]:
    held = await hold(buyer, event_id, seat_ids)
    response = await buyer.post("/api/bookings", json={"hold_id": held["hold_id"]})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def pay(buyer: Actor, booking_id: str, card: str = GOOD_CARD) -> httpx2.Response:
    return await buyer.post(
        "/api/payments",
        json={
            "booking_id": booking_id,
            "card_number": card,
            "exp_month": 12,
            "exp_year": datetime.now(UTC).year + 2,
            "cvc": "123",
        },
    )


async def booking_reaches(
    actor: Actor, booking_id: str, status: str, timeout: float = 15
) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        return dict((await actor.get(f"/api/bookings/{booking_id}")).json())

    return await eventually(
        read, until=lambda b: b.get("status") == status, timeout=timeout, what=f"booking {status}"
    )


async def payment_reaches(actor: Actor, payment_id: str, status: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        return dict((await actor.get(f"/api/payments/{payment_id}")).json())

    return await eventually(
        read, until=lambda p: p.get("status") == status, what=f"payment {status}"
    )


async def seat_statuses(actor: Actor, event_id: str) -> dict[str, str]:
    seats = (await actor.get(f"/api/events/{event_id}/seats")).json()
    return {s["seat_id"]: s["status"] for s in seats}


async def seats_become(actor: Actor, event_id: str, seat_ids: list[str], status: str) -> None:
    async def read() -> dict[str, str]:
        return await seat_statuses(actor, event_id)

    await eventually(
        read, until=lambda m: all(m[s] == status for s in seat_ids), what=f"seats {status}"
    )


def qr_codes(pdf: bytes) -> list[str]:
    """The QR payloads of a PDF, read off its rendered pages (pypdfium2 renders, zxing-cpp
    decodes; both pinned in requirements/lock.txt)."""
    import pypdfium2
    import zxingcpp

    codes: list[str] = []
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        for page in document:
            image = page.render(scale=3).to_pil()
            codes += [r.text for r in zxingcpp.read_barcodes(image) if "QR" in str(r.format)]
    finally:
        document.close()
    return codes
