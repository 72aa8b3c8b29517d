"""``?wait=N`` through the gateway: after paying, one request answers the confirmation and one
the PDF (``shared/watch.py``); out-of-range waits are the contract's 422."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.api_client import Stage, book, pay, stage, ticket_pdf_path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def world(stack: Any, admin_credentials: tuple[str, str]) -> AsyncIterator[Stage]:
    async with stage(stack.gateway_url, admin_credentials, organizer="wanda", rows=["A"]) as scene:
        yield scene


async def test_one_request_each_answers_the_confirmation_and_the_pdf(world: Stage) -> None:
    buyer = await world.cast.person("walt")
    booking = await book(buyer, world.event["id"], ["A-A-1"])
    url = f"/api/bookings/{booking['id']}?wait=10"
    waiting = asyncio.ensure_future(buyer.get(url))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # pending_payment: the request waits

    started = time.monotonic()
    paid = await pay(buyer, booking["id"])
    assert paid.status_code == 201
    confirmed = await asyncio.wait_for(waiting, timeout=10)
    pdf = await buyer.get(f"{ticket_pdf_path(booking['id'])}?wait=10")

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert len(confirmed.json()["tickets"]) == 1
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert time.monotonic() - started < 8  # woken, not timed out


async def test_waits_out_of_range_are_refused_with_the_error_body(world: Stage) -> None:
    buyer = await world.cast.person("wes")
    booking = await book(buyer, world.event["id"], ["A-A-2"])
    for path in (f"/api/bookings/{booking['id']}", ticket_pdf_path(booking["id"])):
        for wait in ("26", "-1", "soon"):
            refused = await buyer.get(f"{path}?wait={wait}")
            assert refused.status_code == 422, (path, wait)
            assert refused.json()["error"] == "validation_error"
    started = time.monotonic()
    timed_out = await buyer.get(f"/api/bookings/{booking['id']}?wait=1")
    assert (timed_out.status_code, timed_out.json()["status"]) == (200, "pending_payment")
    assert 1 <= time.monotonic() - started < 4
