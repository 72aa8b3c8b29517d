"""``make chaos`` (``python -m devstack chaos [--short]``): an isolated stack, purchases running
through the gateway, the faults of ``faults.py`` one after the other — each timed until a new
purchase is confirmed again — then the invariants of ``checks.py``, printed as a table. Exits 1
if any invariant is not 0 or a fault did not recover. ``--short`` (what ``make test`` runs):
light load, briefer outages."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from devstack.bench.harness import ADMIN, NO_LIMIT, smtp_sink
from devstack.bench.world import World, prepare
from devstack.chaos.checks import Findings, settle_and_check
from devstack.chaos.faults import Fault, every_fault
from devstack.chaos.load import Load, confirmed_purchase
from devstack.config import StackConfig
from devstack.stack import RunningStack, run_stack

RECOVERY_TIMEOUT = 90.0


@dataclass
class Outcome:
    fault: str
    note: str
    recovered_seconds: float | None  # None: no purchase confirmed within RECOVERY_TIMEOUT


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    load: dict[str, int] = field(default_factory=dict)
    logs: str = ""  # the services' last log lines, when something did not hold

    @property
    def passed(self) -> bool:
        recovered = all(o.recovered_seconds is not None for o in self.outcomes)
        return recovered and self.findings.clean

    def table(self) -> str:
        lines = ["| fault | what was done | recovered in |", "|---|---|---|"]
        for o in self.outcomes:
            took = (
                "NOT RECOVERED" if o.recovered_seconds is None else f"{o.recovered_seconds:.1f} s"
            )
            lines.append(f"| {o.fault} | {o.note} | {took} |")
        lines += ["", "| invariant | found | must be |", "|---|---|---|"]
        lines += [f"| {name} | {value} | 0 |" for name, value in self.findings.rows()]
        lines += ["", f"confirmed bookings: {self.findings.confirmed}; purchases tried during the "
                  f"faults: {dict(sorted(self.load.items()))}"]  # fmt: skip
        lines.append(f"messages still queued: {self.findings.queued}")
        dead = self.findings.dead_letters
        lines.append(f"dead-lettered: {len(dead)}" + "".join(f"\n  - {d}" for d in dead))
        return "\n".join(lines)


def _recovery(stack: RunningStack, world: World) -> float | None:
    started = time.monotonic()
    token = world.buyers[0]["token"]

    async def probe() -> bool:
        async with httpx2.AsyncClient(base_url=stack.gateway_url, timeout=20) as http:
            return await confirmed_purchase(http, world.large_event, token, RECOVERY_TIMEOUT)

    ok = asyncio.run(probe())
    return time.monotonic() - started if ok else None


def run_chaos(*, short: bool, buyers: int, only: str = "", say: bool = True) -> Report:
    """The whole run (see the module doc); the report."""
    report = Report()
    with smtp_sink() as smtp_port, tempfile.TemporaryDirectory() as faults_dir:
        cfg = StackConfig.for_tests(
            "chaos" + str(int(time.time()))[-6:],
            extra_env={"LOG_LEVEL": "WARNING", "ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1],
                       "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                       "FAULT_DIR": faults_dir, "SWEEP_INTERVAL_SECONDS": "1"},
            rate_limit_rps=NO_LIMIT, rate_limit_burst=NO_LIMIT,
            auth_rate_limit_rpm=NO_LIMIT, auth_rate_limit_burst=NO_LIMIT,
        )  # fmt: skip
        with run_stack(cfg) as stack:
            # seats for the whole run: the load never sells the event out (then no message
            # would come to crash a consumer on, and no probe purchase could be confirmed)
            world = prepare(stack.gateway_url, admin=ADMIN, buyers=buyers + 1, catalogue=0,
                            large_rows=20 if short else 120)  # fmt: skip
            tokens = [b["token"] for b in world.buyers[1:]]
            load = Load(stack.gateway_url, world.large_event, tokens)
            load.start()
            try:
                for fault in every_fault(Path(faults_dir), short=short):
                    if only.lower() in fault.name.lower():
                        report.outcomes.append(_inject(stack, world, fault, say=say))
            finally:
                load.stop()
            report.load = dict(load.tally)
            report.findings = settle_and_check(cfg)
            if not report.passed:
                report.logs = "\n".join(
                    f"--- {name} ---\n{stack.log_tail(name, 15)}" for name in cfg.services
                )
    return report


def _inject(stack: RunningStack, world: World, fault: Fault, *, say: bool) -> Outcome:
    if say:
        print(f"chaos: {fault.name} ...", flush=True)  # noqa: T201 - progress of a CLI
    try:
        note = fault.inject(stack)
    except Exception as exc:  # a fault that could not be brought about fails the run, listed
        return Outcome(fault.name, f"could not inject: {exc}", None)
    return Outcome(fault.name, note, _recovery(stack, world))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="light load, brief outages")
    parser.add_argument("--buyers", type=int, default=None, help="buyers going round")
    parser.add_argument("--only", default="", help="only the faults whose name contains this")
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    buyers = args.buyers or (4 if args.short else 16)
    report = run_chaos(short=args.short, buyers=buyers, only=args.only)
    print(report.table())  # noqa: T201
    if report.logs:
        print(report.logs)  # noqa: T201
    return 0 if report.passed else 1
