"""After the faults: what must hold, read straight from every service's database and from the
broker's dead-letter queues, once the system has settled (nothing left in an outbox)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import aio_pika
import asyncpg

from devstack.bench.checks import invariants as sold_invariants
from devstack.bench.checks import service_database_url
from devstack.config import StackConfig
from shared.messaging import Names

SERVICES = ("auth", "event", "booking", "payment", "notification")
_CONFIRMED = "SELECT id, payment_id FROM booking WHERE status = 'confirmed'"
_SUCCEEDED = "SELECT id, booking_id FROM payment WHERE status = 'succeeded'"
_PDFS = "SELECT booking_id FROM ticket_document"
_UNSENT = "SELECT count(*) FROM outbox_message WHERE published_at IS NULL"


@dataclass
class Findings:
    sold_twice: int = 0
    confirmed_not_sold: int = 0
    paid_not_confirmed_nor_refunded: int = 0
    confirmed_without_payment: int = 0
    confirmed_without_pdf: int = 0
    outbox_unsent: int = 0
    confirmed: int = 0
    dead_letters: list[str] = field(default_factory=list)
    queued: dict[str, int] = field(default_factory=dict)  # messages still in each service's queue

    def rows(self) -> list[tuple[str, int]]:
        return [
            ("seats sold twice (double-booked + GA past capacity)", self.sold_twice),
            ("succeeded payments with neither a confirmed booking nor a refund",
             self.paid_not_confirmed_nor_refunded),
            ("confirmed seats the event never marked sold", self.confirmed_not_sold),
            ("confirmed bookings without a succeeded payment", self.confirmed_without_payment),
            ("confirmed bookings without a ticket PDF", self.confirmed_without_pdf),
            ("outbox rows left unsent", self.outbox_unsent),
        ]  # fmt: skip

    @property
    def clean(self) -> bool:
        return all(value == 0 for _, value in self.rows())


async def _read(cfg: StackConfig) -> Findings:
    found = Findings()
    dbs = {s: await asyncpg.connect(service_database_url(cfg, s)) for s in SERVICES}
    try:
        confirmed = {r["id"]: r["payment_id"] for r in await dbs["booking"].fetch(_CONFIRMED)}
        succeeded = {r["id"]: r["booking_id"] for r in await dbs["payment"].fetch(_SUCCEEDED)}
        pdfs = {r["booking_id"] for r in await dbs["notification"].fetch(_PDFS)}
        for db in dbs.values():
            found.outbox_unsent += int(await db.fetchval(_UNSENT))
    finally:
        for db in dbs.values():
            await db.close()
    found.confirmed = len(confirmed)
    found.paid_not_confirmed_nor_refunded = sum(
        1 for booking in succeeded.values() if booking not in confirmed
    )
    found.confirmed_without_payment = sum(
        1 for payment in confirmed.values() if payment not in succeeded
    )
    found.confirmed_without_pdf = len(set(confirmed) - pdfs)
    return found


async def _queued(cfg: StackConfig) -> dict[str, int]:
    names, found = Names(cfg.messaging_namespace), {}
    connection = await aio_pika.connect(cfg.amqp_url)
    async with connection:
        channel = await connection.channel()
        for service in SERVICES:
            queue = await channel.declare_queue(names.queue(service), passive=True)
            found[service] = int(queue.declaration_result.message_count or 0)
    return found


async def _dead_letters(cfg: StackConfig) -> list[str]:
    """Every dead-lettered message: service, type and why (the broker's x-death reason)."""
    names, found = Names(cfg.messaging_namespace), []
    connection = await aio_pika.connect(cfg.amqp_url)
    async with connection:
        channel = await connection.channel()
        for service in SERVICES:
            queue = await channel.declare_queue(names.dead_letter_queue(service), passive=True)
            while (message := await queue.get(no_ack=False, fail=False)) is not None:
                reason = _death_reason(message.headers.get("x-death"))
                kind = json.loads(message.body).get("type", "?")
                found.append(f"{service}: {kind} ({reason})")
    # unacked: closing the connection puts every message back where it was
    return sorted(found)


def _death_reason(deaths: object) -> str:
    """Why the broker dead-lettered a message (``rejected``, ``delivery_limit``, …)."""
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return str(deaths[0].get("reason", "?"))
    return "?"


def settle_and_check(cfg: StackConfig, *, timeout: float = 90.0) -> Findings:
    """Wait until every outbox is empty and every confirmed booking has its PDF (or
    ``timeout``), then read everything once more."""

    async def settled() -> Findings:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = await _read(cfg)
            if found.clean or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(1.0)
        found.dead_letters = await _dead_letters(cfg)
        found.queued = await _queued(cfg)
        return found

    found = asyncio.run(settled())
    sold = sold_invariants(cfg, settle_seconds=0)
    found.sold_twice, found.confirmed_not_sold = sold.oversold, sold.confirmed_not_sold
    return found
