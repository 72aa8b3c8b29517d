"""``make chaos``, short (light load, one fault of each kind, briefer outages): every fault
recovers — a new purchase is confirmed again soon after — and afterwards no seat is sold twice,
no payment is left without its booking or refund, no confirmed booking lacks its payment, its
sold seats or its PDF, no outbox row is left unsent, nothing is dead-lettered and every queue
is drained. It restarts this machine's PostgreSQL and RabbitMQ (their other clients reconnect)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.chaos.faults import every_fault
from devstack.chaos.run import run_chaos

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)
def test_every_fault_recovers_and_every_invariant_holds_after_a_short_chaos_run() -> None:
    report = run_chaos(short=True, buyers=4, say=False)
    print("\n" + report.table())  # noqa: T201 - the table, with -s

    kinds = [f.name for f in every_fault(Path("/nonexistent"), short=True)]
    assert [o.fault for o in report.outcomes] == kinds
    slow = [(o.fault, o.recovered_seconds) for o in report.outcomes
            if o.recovered_seconds is None or o.recovered_seconds > 30]  # fmt: skip
    assert slow == [], report.logs
    assert [(name, value) for name, value in report.findings.rows() if value] == [], report.logs
    assert report.findings.dead_letters == []
    assert set(report.findings.queued.values()) == {0}
    assert report.findings.confirmed >= 50 and report.load.get("paid", 0) >= 50
