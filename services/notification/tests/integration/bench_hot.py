# ruff: noqa
"""In-process CPU + statement counts of notification's hot path (NOT committed; run explicitly)."""

from __future__ import annotations
import asyncio, cProfile, io, os, pstats, time
from typing import Any
from sqlalchemy import event, text
from shared.logging import configure_logging
from shared.testing.eventually import eventually
from notification_service.service import mailing

N = int(os.environ.get("BENCH_N", "200"))
PROFILE = os.environ.get("BENCH_PROFILE", "")


class Wire:
    def __init__(self, engine):
        self.statements = 0
        self.log = []

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _stmt(conn, cursor, statement, params, context, executemany):
            self.statements += 1
            self.log.append(statement[:90].replace("\n", " "))


async def _pending(runtime):
    async with runtime.engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM pending_email"))


def _profiled(label):
    profile = cProfile.Profile()
    return profile


async def test_bench_confirmed_booking(
    handle, runtime, context, booking_confirmed, monkeypatch
) -> None:
    configure_logging("notification", level="WARNING", json=True)
    wire = Wire(runtime.engine)
    for _ in range(20):
        await handle(booking_confirmed(seats=("A-1",)))
    await eventually(lambda: _pending(runtime), until=lambda n: n == 0, timeout=60)
    real = mailing.send_pending_emails

    async def paused(ctx):
        return 0

    monkeypatch.setattr(mailing, "send_pending_emails", paused)
    datas = [booking_confirmed(seats=("A-1",)) for _ in range(N)]
    wire.statements, wire.log = 0, []
    profile = cProfile.Profile()
    if PROFILE == "consume":
        profile.enable()
    t0, p0 = time.thread_time(), time.process_time()
    for data in datas:
        await handle(data)
    t1, p1 = time.thread_time(), time.process_time()
    profile.disable()
    print(
        f"\nconsume: loop thread {(t1 - t0) / N * 1000:.2f} ms, process {(p1 - p0) / N * 1000:.2f} ms per booking, {wire.statements / N:.1f} statements"
    )
    print("\n".join(wire.log[-8:]))
    wire.statements, wire.log = 0, []
    if PROFILE == "send1":
        profile.enable()
    t0 = time.thread_time()
    sent = 0
    context.settings.__dict__["MAIL_BATCH_SIZE"] = 1
    while await real(context):  # one email per batch, as at a low rate
        pass
    t1 = time.thread_time()
    profile.disable()
    context.settings.__dict__["MAIL_BATCH_SIZE"] = 50
    print(
        f"send one per batch: loop thread {(t1 - t0) / N * 1000:.2f} ms per email, {wire.statements / N:.1f} statements"
    )
    print("\n".join(wire.log[-4:]))
    if PROFILE:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(70)
        print(out.getvalue()[:9000])


async def test_idle(runtime) -> None:
    configure_logging("notification", level="WARNING", json=True)
    await asyncio.sleep(3)
    runtime.context.settings.__dict__["MAIL_POLL_SECONDS"] = float(os.environ.get("MAIL_POLL", "5"))
    runtime.relay.poll_seconds = float(os.environ.get("RELAY_POLL", "5"))
    await asyncio.sleep(2.5)
    profile = cProfile.Profile()
    profile.enable()
    t0, p0 = time.thread_time(), time.process_time()
    await asyncio.sleep(10)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue()[:3000])
    print(
        f"\nidle: loop thread {(time.thread_time() - t0) / 10 * 1000:.2f} ms/s, process {(time.process_time() - p0) / 10 * 1000:.2f} ms/s"
    )
