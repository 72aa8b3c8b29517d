"""`make bench`: the figures DESIGN.md asks for, measured side by side in one run.

One isolated stack (gateway limits lifted, a discarding SMTP server) and, behind an identical
Nginx, a bare FastAPI endpoint — the ceiling, measured before and after the others. Every
figure is printed with its ratio to the ceiling and DESIGN.md's target beside it, so results
compare across machines; k6 shares the machine's cores with everything else, so read ratios
first and absolutes second. The table also goes to ``bench/results/<time>.{json,md}``.

Sizes are realistic: a catalogue of 1,000 published events for browse, holds on a 50,000-seat
event as on a 200-seat one, whole journeys at a fixed demand (50 new buyers a second), at the
highest demand that stays within the latency target, and with 100 and 200 users going round as
fast as they can (overload, no waiting room); the CPU every process spends per confirmed
booking; and, at the end, the invariants read from the databases (nothing oversold).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devstack.bench import k6
from devstack.bench.checks import invariants
from devstack.bench.cpu import CpuMeter, in_display_order, per_unit_ms
from devstack.bench.flash import PLACES, admissions_out_of_order, flash_row, prepare_flash_sale
from devstack.bench.live import LISTENERS, live_row, run_live
from devstack.bench.report import Report, Row, lines, save
from devstack.bench.world import SEATS_PER_ROW, World, prepare
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.readiness import wait_ready
from devstack.services import REPO_ROOT
from devstack.stack import RunningStack, StackConfig, run_gateway, run_stack

_SUSTAINED_TARGET = "≥ 50 bookings/s (goal 100)"
NO_LIMIT = 1_000_000  # both gateways: the same template, per-IP limits out of the way
ADMIN = ("bench-admin@bench.test", "bench-admin-password")


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class _Discard:
    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[int]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every session
    port = free_port()
    controller = Controller(_Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def bare_endpoint() -> Iterator[str]:
    """A bare FastAPI app (devstack/bench/bare.py) behind the same Nginx template."""
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    command = [sys.executable, "-m", "uvicorn", "devstack.bench.bare:app", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
    process = spawn(command, env={}, log_path=work / "bare.log", cwd=REPO_ROOT)
    try:
        wait_ready({"bare": f"http://127.0.0.1:{port}/health"}, timeout=20, alive=lambda _: True)
        with run_gateway(
            {"event": port}, rate_limit_rps=NO_LIMIT, rate_limit_burst=NO_LIMIT
        ) as gateway:
            yield gateway.url
    finally:
        terminate(process)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(stack: RunningStack) -> dict[str, float]:
    return {
        name: rss_mb(process.pid)
        for name, process in stack.processes.items()
        if name != "gateway" and process.poll() is None
    }


def _get(url: str, path: str, vus: int, duration: str) -> k6.Summary:
    return k6.run("get.js", BASE_URL=url, PATH_=path, VUS=vus, DURATION=duration)


def _http_row(
    figure: str, s: k6.Summary, *, note: str = "", target: str = "", met: bool | None = None
) -> Row:
    return Row(
        figure,
        s.rate(),
        "req/s",
        s.trend("http_req_duration", "med"),
        s.trend("http_req_duration", "p(95)"),
        s.trend("http_req_duration", "p(99)"),
        note or f"failed {s.failed:.1%}",
        target,
        met,
    )


@dataclass
class Bench:
    """One run: the stack, the world in it, the ceiling, and the rows gathered so far."""

    stack: RunningStack
    world: World
    files: dict[str, Path]
    tmp: Path
    ceiling_url: str
    vus: int
    duration: str
    report: Report = field(default_factory=lambda: Report(0.0, []))

    def ratio_row(self, figure: str, s: k6.Summary, target: float, note: str = "") -> None:
        ratio = s.rate() / self.report.ceiling
        self.report.rows.append(
            _http_row(figure, s, note=note, target=f"≥ {target:.2f}× ceiling", met=ratio >= target)
        )

    def browse(self) -> None:
        base = self.stack.gateway_url
        say(f"bench: browse GET /api/events ({self.world.catalogue} published events) ...")
        self.ratio_row(
            "browse GET /api/events", _get(base, "/api/events", self.vus, self.duration), 1.0
        )
        say("bench: event detail GET /api/events/{id} ...")
        detail = _get(base, f"/api/events/{self.world.small_event}", self.vus, self.duration)
        self.ratio_row("event detail", detail, 0.8)

    def holds(self) -> None:
        for label, mode, event in (
            ("holds, distinct seats, 50,000-seat event", "uncontended", self.world.large_event),
            ("holds, same 2 seats, 50,000-seat event", "contended", self.world.large_event),
            ("holds, same 2 seats, 200-seat event", "contended", self.world.small_event),
        ):
            say(f"bench: {label} ...")
            s = k6.run(
                "holds.js", BASE_URL=self.stack.gateway_url, MODE=mode, EVENT_ID=event,
                VUS=self.vus, TOKENS_FILE=self.files["tokens"], SEATS_PER_ROW=SEATS_PER_ROW,
                DURATION=self.duration, ROW_OFFSET=1,
            )  # fmt: skip
            note = (
                f"{s.count('holds_created')} held, {s.count('holds_refused')} × 409, "
                f"{s.count('holds_failed')} failed"
            )
            self.ratio_row(label, s, 0.35, note)

    def journey(self, name: str, seats: int, **load: object) -> tuple[k6.Summary, float]:
        """One journey run on a fresh event; the summary and its wall time."""
        data = self.world.journey(self.tmp, name, seats=seats)
        started = time.monotonic()
        summary = k6.run("journey.js", BENCH_DATA=data, PDF_EVERY=4, **load)
        return summary, time.monotonic() - started

    def journey_row(self, figure: str, s: k6.Summary, elapsed: float) -> Row:
        confirmed = s.count("journeys_confirmed")
        return Row(
            figure,
            s.rate("journeys_confirmed"),
            "bookings/s",
            s.trend("journey_ms", "med"),
            s.trend("journey_ms", "p(95)"),
            s.trend("journey_ms", "p(99)"),
            f"{confirmed} confirmed, {s.count('journeys_failed')} failed, "
            f"{s.count('server_errors')} × 5xx in {elapsed:.0f} s",
        )

    def journeys_at(self, rate: int = 50) -> None:
        """``rate`` (50: the target) new buyers a second: throughput, latency, PDF lag and CPU
        per booking."""
        say(f"bench: journeys at {rate} new buyers/s (open model, 20 s) ...")
        meter = CpuMeter({name: p.pid for name, p in self.stack.processes.items()})
        meter.start()
        s, elapsed = self.journey(f"at{rate}", rate * 24, MODE="rate", RATE=rate, DURATION="20s")
        cpu = meter.stop()
        row = self.journey_row(f"journeys at {rate}/s (hold→book→pay→confirmed)", s, elapsed)
        row.target, row.met = "≥ 50 bookings/s", row.rate >= 49.0
        self.report.rows.append(row)
        p99 = s.trend("journey_ms", "p(99)")
        self.report.rows.append(
            Row(f"  journey p99 at {rate}/s", float("nan"), "", float("nan"), float("nan"), p99,
                target="< 1500 ms", met=p99 < 1500)
        )  # fmt: skip
        for label, metric in (("payment → confirmed", "pay_to_confirmed_ms"),
                              ("payment → PDF downloadable", "pay_to_pdf_ms")):  # fmt: skip
            p95 = s.trend(metric, "p(95)")
            pdf = metric == "pay_to_pdf_ms"
            self.report.rows.append(
                Row(f"  {label}", float("nan"), "", s.trend(metric, "med"), p95,
                    s.trend(metric, "p(99)"), "every 4th journey waits for its PDF" if pdf else "",
                    "p95 < 2000 ms" if pdf else "", (p95 < 2000) if pdf else None)
            )  # fmt: skip
        confirmed = s.count("journeys_confirmed")
        table = per_unit_ms(cpu, confirmed)
        self.report.cpu_ms = in_display_order(table, self.stack.config.services)
        self.report.cpu_note = f"{confirmed} bookings at {rate}/s; target ≤ 40 ms in all"
        total = table.get("total", float("nan"))
        self.report.rows.append(
            Row("  CPU per confirmed booking, all processes", float("nan"), "", float("nan"),
                float("nan"), float("nan"), f"{total:.1f} ms", "≤ 40 ms", total <= 40)
        )  # fmt: skip

    def journeys_at_most(self) -> None:
        """The highest demand (new buyers a second) that keeps every journey within target;
        the first demand that does not is reported beside it."""
        best: tuple[int, k6.Summary, float] | None = None
        beyond = ""
        for rate in (25, 50, 75, 100, 125, 150):
            say(f"bench: journeys at {rate} new buyers/s (open model, 12 s) ...")
            s, elapsed = self.journey(
                f"at{rate}", rate * 15, MODE="rate", RATE=rate, DURATION="12s"
            )
            if (
                s.count("journeys_failed") == 0
                and s.count("dropped_iterations") == 0
                and s.trend("journey_ms", "p(99)") < 1500
            ):
                best = (rate, s, elapsed)
                continue
            beyond = (
                f"; at {rate}/s: {s.rate('journeys_confirmed'):.1f} confirmed/s, "
                f"p99 {s.trend('journey_ms', 'p(99)'):.0f} ms, "
                f"{s.count('dropped_iterations')} not started, {s.count('journeys_failed')} failed"
            )
            break
        if best is None:
            self.report.rows.append(
                Row("journeys at the highest sustained demand", float("nan"), "", float("nan"),
                    float("nan"), float("nan"), f"below 25/s{beyond}", _SUSTAINED_TARGET,
                    False)
            )  # fmt: skip
            return
        rate, s, elapsed = best
        row = self.journey_row(f"journeys at the highest sustained demand ({rate}/s)", s, elapsed)
        row.note += beyond + ("" if rate >= 100 else "; the goal of 100/s: not reached")
        # DESIGN.md: ≥ 50 confirmed bookings/s end to end, the goal 100. Sustained: every buyer
        # of the demand confirmed, none dropped, p99 within target (the confirmed rate reads a
        # little under the demand: the last journeys end after the run's 12 s of arrivals).
        row.target, row.met = _SUSTAINED_TARGET, rate >= 50
        self.report.rows.append(row)

    def flash_sale(self, buyers: int = 2000) -> None:
        """2,000 buyers for 100 places through the waiting room (DESIGN.md "Performance")."""
        say(f"bench: flash sale through the waiting room ({buyers} buyers, {PLACES} places) ...")
        sale = prepare_flash_sale(self.world, self.stack.config, self.tmp, buyers)
        s = k6.run("waiting_room.js", BENCH_DATA=sale.data)
        admitted, late = admissions_out_of_order(self.stack.config, sale.event_id)
        self.report.rows.append(flash_row(s, admitted, late, buyers))

    def live_streams(self, listeners: int = LISTENERS) -> None:
        """2,000 open live streams while holds happen: hold → event delay at every listener."""
        say(f"bench: live availability, {listeners} open streams while holds happen ...")

        def rss() -> float:
            return memory(self.stack).get("event", float("nan"))

        idle = rss()
        self.report.rows.append(live_row(run_live(self.world, rss, listeners), idle, listeners))

    def journeys_by_users(self) -> None:
        """100 and 200 buyers going round as fast as they can (overload, no waiting room)."""
        for users in (100, 200):
            say(f"bench: journeys with {users} users (closed model, 15 s) ...")
            s, elapsed = self.journey(f"u{users}", 4000, MODE="users", VUS=users, DURATION="15s")
            row = self.journey_row(f"journeys, {users} users", s, elapsed)
            if users == 200:
                hold_p99 = s.trend("hold_ms", "p(99)")
                errors = s.count("server_errors")
                row.note += f"; hold p99 {hold_p99:.0f} ms"
                row.target, row.met = "no 5xx, hold p99 < 1 s", errors == 0 and hold_p99 < 1000
            self.report.rows.append(row)


def _stack_config(smtp_port: int) -> StackConfig:
    """The bench's stack: production's pools, the gateway's per-address limits lifted."""
    return StackConfig.for_tests(
        "bench" + str(int(time.time()))[-6:],
        extra_env={
            "LOG_LEVEL": "WARNING",
            "ADMIN_EMAIL": ADMIN[0],
            "ADMIN_PASSWORD": ADMIN[1],
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "DB_POOL_SIZE": "20",  # production's pools, not a test stack's
            "DB_MAX_OVERFLOW": "0",
        },
        rate_limit_rps=NO_LIMIT,
        rate_limit_burst=NO_LIMIT,
        auth_rate_limit_rpm=NO_LIMIT,
        auth_rate_limit_burst=NO_LIMIT,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack bench", description=__doc__)
    parser.add_argument("--vus", type=int, default=32)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--buyers", type=int, default=400, help="signed-in buyers taking turns")
    parser.add_argument("--catalogue", type=int, default=1000, help="published events to browse")
    parser.add_argument("--large-rows", type=int, default=500, help="rows of 100 seats")
    parser.add_argument("--quick", action="store_true", help="skip the demand search and users")
    parser.add_argument(
        "--journey-rate", type=int, default=50, help="new buyers a second in the fixed-demand run"
    )
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)

    with smtp_sink() as smtp_port:
        cfg = _stack_config(smtp_port)
        with (
            run_stack(cfg) as stack,
            bare_endpoint() as ceiling_url,
            tempfile.TemporaryDirectory() as tmp,
        ):
            say("bench: preparing the organizer, the catalogue, events and buyers ...")
            world = prepare(
                stack.gateway_url,
                admin=ADMIN,
                buyers=args.buyers,
                catalogue=args.catalogue,
                large_rows=args.large_rows,
            )
            bench = Bench(stack, world, world.write(Path(tmp)), Path(tmp), ceiling_url,
                          args.vus, args.duration)  # fmt: skip
            _run(bench, quick=args.quick, journey_rate=args.journey_rate)
            found = invariants(cfg)
            say(f"bench: invariants: {found}")
            bench.report.rows.append(
                Row("oversold seats (double-booked + GA past capacity)", float("nan"), "",
                    float("nan"), float("nan"), float("nan"),
                    f"{found.oversold} oversold, {found.confirmed_not_sold} confirmed not sold",
                    "0", found.oversold == 0 and found.confirmed_not_sold == 0)
            )  # fmt: skip
    report = bench.report
    report.settings = {"vus": args.vus, "duration": args.duration, "catalogue": world.catalogue}
    say("")
    for line in lines(report):
        say(line)
    json_path, md_path = save(report)
    say(f"\nwritten: {json_path.relative_to(REPO_ROOT)}, {md_path.relative_to(REPO_ROOT)}")
    return 0


def _run(bench: Bench, *, quick: bool, journey_rate: int) -> None:
    idle = memory(bench.stack)
    say("bench: ceiling (bare FastAPI behind the same Nginx) ...")
    runs = [_get(bench.ceiling_url, "/api/events", bench.vus, bench.duration).rate()]
    bench.report.ceiling, bench.report.ceiling_runs = runs[0], runs
    bench.browse()
    bench.holds()
    bench.journeys_at(journey_rate)
    bench.flash_sale()
    if not quick:
        bench.journeys_at_most()
        bench.journeys_by_users()
    say("bench: sign-in ...")
    login = k6.run(
        "login.js", BASE_URL=bench.stack.gateway_url, USERS_FILE=bench.files["users"], VUS=8,
        DURATION=bench.duration,
    )  # fmt: skip
    bench.report.rows.append(_http_row("sign-in POST /api/auth/login", login))
    loaded = memory(bench.stack)
    bench.report.memory = {n: (idle[n], loaded.get(n, float("nan"))) for n in idle}
    bench.report.rows.append(
        Row("RSS per service, idle and after", float("nan"), "", float("nan"), float("nan"),
            float("nan"), f"max {max(max(v) for v in bench.report.memory.values()):.0f} MB "
            "(before the live streams: their row gives the event service's RSS with them)",
            "< 150 MB", all(max(v) < 150 for v in bench.report.memory.values()))
    )  # fmt: skip
    # last: 2,000 open connections leave the event service's heap larger (Python keeps what it
    # allocated); the row reports that RSS itself
    bench.live_streams()
    say("bench: ceiling again ...")
    runs.append(_get(bench.ceiling_url, "/api/events", bench.vus, bench.duration).rate())
    bench.report.ceiling = sum(runs) / len(runs)
