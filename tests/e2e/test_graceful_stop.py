"""A service told to stop (SIGTERM) stops as fast as its quick requests end: a request waiting
(``?wait=N``) answers what it has at once, a live stream ends (``shared/stopping.py``) — neither
holds the stop for its N seconds, or for ever."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from devstack.stack import RunningStack
from tests.e2e.api_client import Stage, book, stage
from tests.e2e.conftest import Launch

pytestmark = pytest.mark.e2e

WAIT = 20  # what the requests ask for; a stop that waited for them would take this long


@pytest.fixture(scope="module")
def stopping_stack(launch: Launch) -> Iterator[RunningStack]:
    """A stack of its own: its services are stopped here."""
    with launch("stop", gateway_limits=False) as running:
        yield running


@pytest.fixture(scope="module")
async def world(
    stopping_stack: RunningStack, admin_credentials: tuple[str, str]
) -> AsyncIterator[Stage]:
    async with stage(
        stopping_stack.gateway_url, admin_credentials, organizer="stella", rows=["A"]
    ) as scene:
        yield scene


async def _stop(stack: RunningStack, name: str) -> float:
    """SIGTERM ``name``; how long it took to stop, having shut down in order (uvicorn ends by
    raising the signal it caught again, the default handler back in place: -SIGTERM)."""
    started = time.monotonic()
    process = stack.processes[name]
    await asyncio.to_thread(stack.stop, name)
    took = time.monotonic() - started
    assert process.returncode == -signal.SIGTERM, process.returncode
    assert '"service_stopped"' in stack.log_tail(name, lines=200)
    return took


async def test_a_stopping_booking_service_answers_a_waiting_request_at_once(
    world: Stage, stopping_stack: RunningStack
) -> None:
    buyer = await world.cast.person("sid")
    booking = await book(buyer, world.event["id"], ["A-A-1"])
    waiting = asyncio.ensure_future(buyer.get(f"/api/bookings/{booking['id']}?wait={WAIT}"))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # pending_payment: it waits

    took = await _stop(stopping_stack, "booking")
    answered = await asyncio.wait_for(waiting, timeout=5)

    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "pending_payment"  # what it had when told
    assert took < 5, took  # not the request's 20 s


async def test_a_stopping_event_service_ends_its_live_streams(
    world: Stage, stopping_stack: RunningStack
) -> None:
    watcher = world.cast.actor()
    url = f"/api/events/{world.event['id']}/live"
    async with watcher.http.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 5) == "event: availability"

        stopped = asyncio.ensure_future(_stop(stopping_stack, "event"))
        rest: list[Any] = [line async for line in lines]  # ends when the service ends it
        took = await asyncio.wait_for(stopped, timeout=15)

    assert not any(line.startswith("event: ") for line in rest)
    assert took < 5, took  # not until the orchestrator's SIGKILL
