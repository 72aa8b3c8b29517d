"""Live availability under a crowd (issue "Stampede-proof on-sales"): 2,000 open
``GET /api/events/{id}/live`` streams through the gateway while holds happen, and how long each
change takes to reach each listener.

The listeners are raw asyncio connections (HTTP/1.0, so the stream comes unchunked; one
coroutine and a socket each — the driver must cost little beside the stack on two cores). Holds
of one place each are taken one after the other, ``GAP`` apart, on a general-admission tier:
after the k-th, the tier's ``held + sold`` is k. The delay of hold k at a listener is from the
moment its request was sent to the first ``availability`` event showing a count of k or more
(so it includes the hold's own latency and the stream's coalescing, at most two a second)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx2

from devstack.bench.report import Row
from devstack.bench.world import World, published_event

LISTENERS = 2000
HOLDS = 27
# seconds between two holds: not a multiple of the stream's 0.5-s interval, so that the holds
# fall at every phase of it and the delays spread over what a client really sees
GAP = 0.37
TIER = "ga"
_OPEN_BATCH = 100  # connections opened together, then a breath


@dataclass
class LiveResult:
    listeners: int  # streams that delivered their first snapshot
    failed: int  # streams that could not open or broke before the end
    delays_ms: list[float] = field(default_factory=list)
    expected: int = 0  # deliveries owed: holds made × listeners
    holds: int = 0
    rss_open_mb: float = float("nan")  # the event service's, with every stream open
    rss_closed_mb: float = float("nan")  # and once they closed again
    reasons: dict[str, int] = field(default_factory=dict)  # why streams failed

    def percentile(self, p: float) -> float:
        if not self.delays_ms:
            return float("nan")
        ordered = sorted(self.delays_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class _Run:
    host: str
    port: int
    path: str
    sent: list[float] = field(default_factory=list)  # when hold k (index k-1) was sent
    listeners: int = 0
    result: LiveResult = field(default_factory=lambda: LiveResult(0, 0))
    ready: int = 0
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # every stream open or failed

    def tally(self, *, opened: bool) -> None:
        if opened:
            self.ready += 1
        else:
            self.result.failed += 1
        if self.ready + self.result.failed >= self.listeners:
            self.settled.set()


def live_row(found: LiveResult, idle_mb: float, listeners: int) -> Row:
    """The report's row: the delays, and what was delivered, failed and held in memory."""
    delivered = len(found.delays_ms)
    note = (
        f"{found.listeners} streams open, {found.failed} failed; {found.holds} holds, "
        f"{delivered} of {found.expected} deliveries; event RSS {idle_mb:.0f} MB idle, "
        f"{found.rss_open_mb:.0f} MB with the streams open, {found.rss_closed_mb:.0f} MB after"
    )
    if found.reasons:
        note += "; failures: " + ", ".join(f"{n} × {r}" for r, n in found.reasons.items())
    p99 = found.percentile(99)
    met = found.failed == 0 and delivered == found.expected and p99 < 1000
    return Row(f"live availability, {listeners} open streams: hold → event at each listener",
               float("nan"), "", found.percentile(50), found.percentile(95), p99, note,
               "every change delivered, p99 < 1 s", met)  # fmt: skip


def run_live(world: World, rss: Callable[[], float], listeners: int = LISTENERS) -> LiveResult:
    """Open ``listeners`` streams on a new event, make ``HOLDS`` holds, measure, close.
    ``rss``: the event service's RSS (MB), read while every stream is open."""
    return asyncio.run(_measure(world, rss, listeners))


async def _measure(world: World, rss: Callable[[], float], listeners: int) -> LiveResult:
    url = urlsplit(world.gateway_url)
    event_id = _event(world)
    path = f"/api/events/{event_id}/live"
    run = _Run(url.hostname or "127.0.0.1", url.port or 80, path, listeners=listeners)
    stop = asyncio.Event()
    tasks = []
    for start in range(0, listeners, _OPEN_BATCH):
        for _ in range(min(_OPEN_BATCH, listeners - start)):
            tasks.append(asyncio.create_task(_listen(run, stop)))
        await asyncio.sleep(0.05)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run.settled.wait(), timeout=30)
    run.result.listeners = run.ready
    run.result.rss_open_mb = rss()
    async with httpx2.AsyncClient(base_url=world.gateway_url, timeout=30) as http:
        for k in range(HOLDS):
            token = world.buyers[k % len(world.buyers)]["token"]
            run.sent.append(time.monotonic())
            answer = await http.post(
                f"/api/events/{event_id}/holds",
                json={"tier": TIER, "quantity": 1},
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code != 201:
                raise RuntimeError(f"live bench hold: {answer.status_code} {answer.text}")
            await asyncio.sleep(GAP)
    await asyncio.sleep(2.0)  # the last change reaches everyone
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1.0)  # the service notices the closed connections
    run.result.rss_closed_mb = rss()
    run.result.holds = len(run.sent)
    run.result.expected = run.result.listeners * run.result.holds
    return run.result


async def _listen(run: _Run, stop: asyncio.Event) -> None:
    writer = None
    counted = False
    try:
        reader, writer = await asyncio.open_connection(run.host, run.port)
        request = f"GET {run.path} HTTP/1.0\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
        writer.write(request.encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise ConnectionError(status.decode(errors="replace").strip())
        seen = 0
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                raise ConnectionError("the stream ended")
            if not line.startswith(b"data: "):
                continue
            tiers = json.loads(line[6:]).get("tiers")
            if tiers is None:
                continue
            if not counted:
                run.tally(opened=True)
                counted = True
            taken = sum(t["held"] + t["sold"] for t in tiers if t["code"] == TIER)
            now = time.monotonic()
            for k in range(seen + 1, min(taken, len(run.sent)) + 1):
                run.result.delays_ms.append((now - run.sent[k - 1]) * 1000)
            seen = max(seen, min(taken, len(run.sent)))
    except asyncio.CancelledError:
        raise
    except (OSError, ConnectionError, ValueError) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:80]
        run.result.reasons[reason] = run.result.reasons.get(reason, 0) + 1
        if counted:
            run.result.failed += 1  # broke after opening
        else:
            run.tally(opened=False)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _event(world: World) -> str:
    """A published general-admission event on sale, buyers' holds unrestricted."""
    starts = datetime.now(UTC) + timedelta(days=25)
    body = {
        "title": f"Live {uuid.uuid4().hex[:6]}",
        "location": "Bench Arena",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 10,
        "max_tickets_per_buyer": 1000,
        "hold_rules": {"max_live_holds_per_address": None, "rehold_cooldown_seconds": 0},
        "tiers": [{"code": TIER, "name": "Floor", "price": 4000, "capacity": 10_000}],
    }
    event_id = published_event(world, body)
    return event_id
