"""CPU time by process, read from ``/proc/<pid>/stat``: what one confirmed booking costs.

Groups: each service (its uvicorn process), the gateway (the bench stack's nginx master and
workers), PostgreSQL, RabbitMQ and Redis (the machine's servers: all their processes, plus what
the postmaster reaped from backends that exited during the window); and, out of the total, the
load generator (k6). The servers are shared with anything else running on the machine, so run
the bench on a quiet one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
SERVERS = {"postgresql": ("postgres",), "rabbitmq": ("beam.smp",), "redis": ("redis-server",)}
# Left out of ``total``: the load generator (k6, run and waited for by this process, so its CPU
# is this process's children's) shares the cores; its share says how much of the machine the
# system under test had.
LOAD = "k6 (load, not in total)"


@dataclass(frozen=True)
class _Stat:
    comm: str
    ppid: int
    own: int  # utime + stime, in ticks
    reaped: int  # cutime + cstime: children that exited and were waited for


def _stat(pid: int) -> _Stat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is the state (3rd field of the file); utime is the 14th field, so index 11
    return _Stat(
        comm=comm,
        ppid=int(fields[1]),
        own=int(fields[11]) + int(fields[12]),
        reaped=int(fields[13]) + int(fields[14]),
    )


def _all_stats() -> dict[int, _Stat]:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def _descendants(root: int, stats: Mapping[int, _Stat]) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, stat in stats.items() if stat.ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found


class CpuMeter:
    """``start()`` … ``stop()`` → CPU seconds per group over the window."""

    def __init__(self, processes: Mapping[str, int]) -> None:
        # group → root pid whose process tree is the group (a service, the gateway)
        self.processes = dict(processes)
        self._before: dict[str, int] = {}

    def _sample(self) -> dict[str, int]:
        stats = _all_stats()
        ticks: dict[str, int] = {}
        for group, root in self.processes.items():
            tree = _descendants(root, stats) if root in stats else set()
            ticks[group] = sum(stats[pid].own for pid in tree) + (
                stats[root].reaped if root in stats else 0
            )
        children = os.times()
        ticks[LOAD] = round((children.children_user + children.children_system) * TICKS)
        for group, names in SERVERS.items():
            pids = [pid for pid, stat in stats.items() if stat.comm in names]
            parents = {pid for pid in pids if stats[pid].ppid not in pids}
            ticks[group] = sum(stats[pid].own for pid in pids) + sum(
                stats[pid].reaped for pid in parents
            )
        return ticks

    def start(self) -> None:
        self._before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        return {
            group: max(0, after.get(group, 0) - self._before.get(group, 0)) / TICKS
            for group in after
        }


def per_unit_ms(cpu_seconds: Mapping[str, float], units: int) -> dict[str, float]:
    """Milliseconds of CPU per unit (a confirmed booking) for each group, and ``total``."""
    if units <= 0:
        return {}
    table = {group: seconds * 1000 / units for group, seconds in cpu_seconds.items()}
    table["total"] = sum(ms for group, ms in table.items() if group != LOAD)
    return table


def in_display_order(table: Mapping[str, float], services: Iterable[str]) -> dict[str, float]:
    """The table as printed: services, gateway, servers, the total, then the load generator."""
    order = [*services, "gateway", *SERVERS, "total", LOAD]
    return {group: table[group] for group in dict.fromkeys(order) if group in table}
