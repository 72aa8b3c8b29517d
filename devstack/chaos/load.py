"""The purchase load that runs through the faults: buyers going round hold (best available, one
seat) → book → pay with the good card, each on its own, forever, until stopped. Failures are
expected while a fault lasts: they are counted, never fatal (a buyer backs off a moment)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx2

GOOD_CARD = "4242424242424242"
TIER = "std"


@dataclass
class Load:
    gateway_url: str
    event_id: str
    tokens: list[str]
    tally: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    async def _run(self) -> None:
        limits = httpx2.Limits(max_connections=len(self.tokens) * 2)
        async with httpx2.AsyncClient(base_url=self.gateway_url, timeout=20, limits=limits) as http:
            await asyncio.gather(*(self._buyer(http, token) for token in self.tokens))

    async def _buyer(self, http: httpx2.AsyncClient, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        while not self._stop.is_set():
            try:
                outcome, _ = await purchase(http, self.event_id, auth)
            except httpx2.HTTPError as exc:
                outcome = f"no answer ({type(exc).__name__})"
            self.tally[outcome] += 1
            if outcome != "paid":
                await asyncio.sleep(0.3)


async def purchase(
    http: httpx2.AsyncClient, event_id: str, auth: dict[str, str]
) -> tuple[str, str | None]:
    """One purchase: (``paid`` or which step failed with which status, the booking's id)."""
    body = {"tier": TIER, "quantity": 1, "best_available": True}
    held = await http.post(f"/api/events/{event_id}/holds", json=body, headers=auth)
    if held.status_code != 201:
        return f"hold {held.status_code}", None
    booked = await http.post(
        "/api/bookings", json={"hold_id": held.json()["hold_id"]}, headers=auth | _key()
    )
    if booked.status_code != 201:
        return f"book {booked.status_code}", None
    pay = {"booking_id": booked.json()["id"], "card_number": GOOD_CARD, "exp_month": 12,
           "exp_year": 2035, "cvc": "123"}  # fmt: skip
    paid = await http.post("/api/payments", json=pay, headers=auth | _key())
    if paid.status_code != 201:
        return f"pay {paid.status_code}", None
    return "paid", str(booked.json()["id"])


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def confirmed_purchase(
    http: httpx2.AsyncClient, event_id: str, token: str, timeout: float
) -> bool:
    """A purchase that reaches ``confirmed`` within ``timeout`` seconds (the recovery probe)."""
    auth = {"Authorization": f"Bearer {token}"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            _, booking = await purchase(http, event_id, auth)
            while booking is not None and loop.time() < deadline:
                read = await http.get(f"/api/bookings/{booking}", headers=auth)
                if read.status_code == 200 and read.json()["status"] == "confirmed":
                    return True
                await asyncio.sleep(0.2)
        except httpx2.HTTPError:
            pass
        await asyncio.sleep(0.5)
    return False
