"""`make bench`: the figures DESIGN.md asks for, measured side by side in one run.

One isolated stack (gateway limits lifted, a discarding SMTP server) and, behind an identical
Nginx, a bare FastAPI endpoint — the ceiling, measured before and after the others. Every
figure is printed with its ratio to the ceiling, so results compare across machines; k6 shares
the machine's cores with everything else, so read ratios first and absolutes second.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devstack.bench import k6
from devstack.bench.world import SEATS_PER_ROW, prepare
from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.readiness import wait_ready
from devstack.services import REPO_ROOT
from devstack.stack import RunningStack, StackConfig, run_gateway, run_stack

NO_LIMIT = 1_000_000  # both gateways: the same template, per-IP limits out of the way
ADMIN = ("bench-admin@bench.test", "bench-admin-password")


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class Row:
    figure: str
    rate: float
    unit: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    note: str = ""


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


def _http_row(figure: str, s: k6.Summary, *, rate: float | None = None, note: str = "") -> Row:
    return Row(
        figure,
        s.rate() if rate is None else rate,
        "req/s",
        s.trend("http_req_duration", "med"),
        s.trend("http_req_duration", "p(95)"),
        s.trend("http_req_duration", "p(99)"),
        note or f"failed {s.failed:.1%}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack bench", description=__doc__)
    parser.add_argument("--vus", type=int, default=32)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--journeys", type=int, default=200, help="seats sold by the journey run")
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    journeys = -(-args.journeys // SEATS_PER_ROW) * SEATS_PER_ROW  # a whole event, sold out
    vus, duration = args.vus, args.duration

    with smtp_sink() as smtp_port:
        cfg = StackConfig.for_tests(
            "bench" + str(int(time.time()))[-6:],
            extra_env={
                "LOG_LEVEL": "WARNING",
                "ADMIN_EMAIL": ADMIN[0],
                "ADMIN_PASSWORD": ADMIN[1],
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
            },
            rate_limit_rps=NO_LIMIT,
            rate_limit_burst=NO_LIMIT,
            auth_rate_limit_rpm=NO_LIMIT,
            auth_rate_limit_burst=NO_LIMIT,
        )
        with (
            run_stack(cfg) as stack,
            bare_endpoint() as ceiling_url,
            tempfile.TemporaryDirectory() as tmp,
        ):
            say("bench: preparing the organizer, events and buyers through the gateway ...")
            world = prepare(
                stack.gateway_url,
                admin=ADMIN,
                buyers=args.buyers,
                hold_rows=400,  # 40,000 seats: more than ~1,500 holds/s × 15 s
                journeys=journeys,
            )
            files = world.write(Path(tmp))
            idle = memory(stack)
            rows: list[Row] = []
            base = stack.gateway_url

            say("bench: ceiling (bare FastAPI behind the same Nginx) ...")
            ceiling = [_get(ceiling_url, "/api/events", vus, duration)]
            say("bench: browse GET /api/events ...")
            rows.append(
                _http_row("browse GET /api/events", _get(base, "/api/events", vus, duration))
            )
            say("bench: event detail GET /api/events/{id} ...")
            rows.append(
                _http_row(
                    "event detail", _get(base, f"/api/events/{world.holds_event}", vus, duration)
                )
            )
            say("bench: holds, every buyer on different seats ...")

            def holds_run(mode: str, event_id: str) -> k6.Summary:
                return k6.run(
                    "holds.js", BASE_URL=base, MODE=mode, EVENT_ID=event_id, VUS=vus,
                    TOKENS_FILE=files["tokens"], SEATS_PER_ROW=SEATS_PER_ROW, DURATION=duration,
                )  # fmt: skip

            holds = holds_run("uncontended", world.holds_event)
            rows.append(
                _http_row(
                    "holds (distinct seats)",
                    holds,
                    note=f"{holds.count('holds_created')} held, "
                    f"{holds.count('holds_refused')} refused, {holds.count('holds_failed')} failed",
                )
            )
            say("bench: holds, everyone on the same two seats ...")
            contended = holds_run("contended", world.contended_event)
            rows.append(
                _http_row(
                    "holds (same 2 seats)",
                    contended,
                    note=f"{contended.count('holds_created')} held (must be 1), "
                    f"{contended.count('holds_refused')} × 409, "
                    f"{contended.count('holds_failed')} failed",
                )
            )
            say(f"bench: whole journeys, selling out a {journeys}-seat event ...")
            started = time.monotonic()
            journey = k6.run(
                "journey.js", BENCH_DATA=files["journey"], VUS=max(4, vus // 2),
                ITERATIONS=journeys, PDF_EVERY=4,
            )  # fmt: skip
            sold_out_s = time.monotonic() - started
            confirmed = journey.count("journeys_confirmed")
            rows.append(
                Row(
                    "journeys (hold→book→pay→confirmed)",
                    confirmed / sold_out_s if sold_out_s else 0.0,
                    "bookings/s",
                    journey.trend("journey_ms", "med"),
                    journey.trend("journey_ms", "p(95)"),
                    journey.trend("journey_ms", "p(99)"),
                    f"{confirmed}/{journeys} confirmed, {journey.count('journeys_failed')} failed, "
                    f"sold out in {sold_out_s:.1f} s",
                )
            )
            rows.append(
                Row(
                    "  payment → confirmed",
                    float("nan"),
                    "",
                    journey.trend("pay_to_confirmed_ms", "med"),
                    journey.trend("pay_to_confirmed_ms", "p(95)"),
                    journey.trend("pay_to_confirmed_ms", "p(99)"),
                )
            )
            rows.append(
                Row(
                    "  payment → PDF downloadable",
                    float("nan"),
                    "",
                    journey.trend("pay_to_pdf_ms", "med"),
                    journey.trend("pay_to_pdf_ms", "p(95)"),
                    journey.trend("pay_to_pdf_ms", "p(99)"),
                    "every 4th journey waits for its PDF",
                )
            )
            say("bench: sign-in ...")
            login = k6.run(
                "login.js", BASE_URL=base, USERS_FILE=files["users"], VUS=8, DURATION=duration
            )
            rows.append(_http_row("sign-in POST /api/auth/login", login))
            loaded = memory(stack)
            say("bench: ceiling again ...")
            ceiling.append(_get(ceiling_url, "/api/events", vus, duration))
    _report(ceiling, rows, idle, loaded, vus=vus, duration=duration)
    return 0


def _report(
    ceiling: list[k6.Summary],
    rows: list[Row],
    idle: dict[str, float],
    loaded: dict[str, float],
    *,
    vus: int,
    duration: str,
) -> None:
    top = sum(s.rate() for s in ceiling) / len(ceiling)
    say(f"\nmake bench — k6 on this machine, {vus} VUs × {duration} per HTTP figure")
    say(
        f"ceiling: bare FastAPI JSON endpoint behind the same Nginx = {top:.0f} req/s "
        f"(runs: {', '.join(f'{s.rate():.0f}' for s in ceiling)}), "
        f"p50 {ceiling[0].trend('http_req_duration', 'med'):.1f} ms"
    )
    say(
        f"{'figure':<38}{'rate':>12}{'× ceiling':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  notes"
    )
    for r in rows:
        rate = "" if r.rate != r.rate else f"{r.rate:.1f} {r.unit}"
        ratio = "" if r.rate != r.rate else f"{r.rate / top:.3f}"
        say(
            f"{r.figure:<38}{rate:>12}{ratio:>11}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}{r.p99_ms:>9.1f}"
            f"  {r.note}"
        )
    say("\nmemory per service (RSS MB): idle → after the load")
    for name, mb in idle.items():
        say(f"  {name:<13}{mb:>7.1f} → {loaded.get(name, float('nan')):.1f}")
