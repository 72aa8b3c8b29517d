"""After the load: the invariants, read straight from the bench stack's databases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from devstack.config import StackConfig
from devstack.database import plain_url

# seats in two active bookings (the unique index must make this impossible)
_DOUBLE_BOOKED = """
SELECT count(*) FROM (
  SELECT event_id, seat_id FROM booked_seat
  WHERE status IN ('pending_payment', 'confirmed') AND seat_id IS NOT NULL
  GROUP BY event_id, seat_id HAVING count(*) > 1) twice
"""
# general-admission places sold past a tier's capacity
_GA_OVER = """
SELECT coalesce(sum(sold - capacity), 0) FROM (
  SELECT t.capacity, sum(s.quantity) AS sold FROM ga_sale s
  JOIN ticket_tier t ON t.event_id = s.event_id AND t.code = s.tier_code
  GROUP BY t.event_id, t.code, t.capacity) tiers
WHERE sold > capacity
"""
_CONFIRMED_SEATS = """
SELECT s.event_id, s.seat_id FROM booked_seat s JOIN booking b ON b.id = s.booking_id
WHERE b.status = 'confirmed' AND s.seat_id IS NOT NULL
"""
_SOLD_SEATS = "SELECT event_id, seat_id FROM sold_seat"


@dataclass(frozen=True)
class Invariants:
    double_booked: int
    general_admission_over: int
    confirmed_not_sold: int  # booking says confirmed, event never marked the seat sold

    @property
    def oversold(self) -> int:
        return self.double_booked + self.general_admission_over


def service_database_url(cfg: StackConfig, service: str) -> str:
    base = plain_url(cfg.admin_database_url)
    return base.rsplit("/", 1)[0] + "/" + cfg.databases[service]


async def _read(cfg: StackConfig) -> Invariants:
    booking = await asyncpg.connect(service_database_url(cfg, "booking"))
    event = await asyncpg.connect(service_database_url(cfg, "event"))
    try:
        double = int(await booking.fetchval(_DOUBLE_BOOKED))
        over = int(await event.fetchval(_GA_OVER))
        confirmed = {(r[0], r[1]) for r in await booking.fetch(_CONFIRMED_SEATS)}
        sold = {(r[0], r[1]) for r in await event.fetch(_SOLD_SEATS)}
    finally:
        await booking.close()
        await event.close()
    return Invariants(double, over, len(confirmed - sold))


def invariants(cfg: StackConfig, *, settle_seconds: float = 10.0) -> Invariants:
    """The invariants once the last messages have been handled (waits up to ``settle_seconds``
    for event to mark every confirmed seat sold)."""

    async def settled() -> Invariants:
        deadline = asyncio.get_running_loop().time() + settle_seconds
        while True:
            found = await _read(cfg)
            if found.confirmed_not_sold == 0 or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.5)

    return asyncio.run(settled())
