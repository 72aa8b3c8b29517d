"""`make bench`: the figures DESIGN.md asks for, measured side by side in one run.

A whole isolated stack (gateway limits lifted) and, behind an identical Nginx, a bare FastAPI
endpoint — the ceiling. Every figure is printed with its ratio to the ceiling, so results
compare across machines. k6 shares the two cores with everything else: read ratios, not
absolutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.readiness import wait_ready
from devstack.seed import seed_demo
from devstack.services import REPO_ROOT, VENV_BIN
from devstack.stack import RunningStack, StackConfig, run_gateway, run_stack

K6 = VENV_BIN / "k6"
NO_LIMIT = 1_000_000  # both gateways: the same template, per-IP limits out of the way


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


@dataclass
class Figure:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: float


def k6_get(base_url: str, path: str, *, vus: int, duration: str) -> Figure:
    """Run k6/get.js and read its summary."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        command = [str(K6), "run", "--quiet", "--no-usage-report", f"--summary-export={summary}"]
        command += ["-e", f"BASE_URL={base_url}", "-e", f"PATH_={path}", "-e", f"VUS={vus}"]
        command += ["-e", f"DURATION={duration}", str(REPO_ROOT / "k6" / "get.js")]
        subprocess.run(command, check=False, capture_output=True, text=True)
        metrics = json.loads(summary.read_text())["metrics"]
    duration_ms = metrics["http_req_duration"]
    return Figure(
        name=path,
        rps=float(metrics["http_reqs"]["rate"]),
        p50_ms=float(duration_ms["med"]),
        p95_ms=float(duration_ms["p(95)"]),
        p99_ms=float(duration_ms["p(99)"]),
        failed=float(metrics["http_req_failed"]["value"]),
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn runs one process per service)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    return total / 1024


@contextmanager
def bare_endpoint() -> Iterator[str]:
    """The bare app behind the same Nginx template; yields the gateway URL."""
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    command = [sys.executable, "-m", "uvicorn", "devstack.bare:app", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--no-access-log"]
    process = spawn(command, env={}, log_path=work / "bare.log", cwd=REPO_ROOT)
    try:
        wait_ready({"bare": f"http://127.0.0.1:{port}/health"}, timeout=20, alive=lambda _: True)
        with run_gateway(
            {"event": port}, rate_limit_rps=NO_LIMIT, rate_limit_burst=NO_LIMIT
        ) as gateway:
            yield gateway.url
    finally:
        terminate(process)


def memory(stack: RunningStack) -> dict[str, float]:
    return {
        name: rss_mb(process.pid)
        for name, process in stack.processes.items()
        if name != "gateway" and process.poll() is None
    }


def main(*, vus: int = 32, duration: str = "15s") -> int:
    cfg = StackConfig.for_tests(
        "bench" + str(int(time.time()))[-6:],
        extra_env={"LOG_LEVEL": "WARNING"},
        rate_limit_rps=NO_LIMIT,
        rate_limit_burst=NO_LIMIT,
    )
    with run_stack(cfg) as stack, bare_endpoint() as ceiling_url:
        if not seed_demo(
            stack.gateway_url, admin_email=cfg.admin_email, admin_password=cfg.admin_password
        ):
            sys.stderr.write("bench: could not seed demo data\n")
            return 1
        with httpx2.Client(base_url=stack.gateway_url) as client:
            assert client.get("/api/events").json()["total"] >= 2
        idle = memory(stack)
        figures = []
        for _round in range(2):  # interleaved, so drift on a noisy machine hits both alike
            figures.append(
                ("ceiling", k6_get(ceiling_url, "/api/events", vus=vus, duration=duration))
            )
            figures.append(
                ("browse", k6_get(stack.gateway_url, "/api/events", vus=vus, duration=duration))
            )
        loaded = memory(stack)
    _report(figures, idle, loaded, vus=vus, duration=duration)
    return 0


def _report(
    figures: list[tuple[str, Figure]],
    idle: dict[str, float],
    loaded: dict[str, float],
    *,
    vus: int,
    duration: str,
) -> None:
    by_name: dict[str, list[Figure]] = {}
    for name, figure in figures:
        by_name.setdefault(name, []).append(figure)
    best = {name: max(runs, key=lambda f: f.rps) for name, runs in by_name.items()}
    ceiling = best["ceiling"].rps
    say(f"\nmake bench — k6 {vus} VUs × {duration} per run, 2 interleaved rounds, best round shown")
    say(
        f"{'figure':<10}{'req/s':>10}{'× ceiling':>11}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'failed':>8}"
    )
    for name, f in best.items():
        say(
            f"{name:<10}{f.rps:>10.0f}{f.rps / ceiling:>11.2f}{f.p50_ms:>9.1f}"
            f"{f.p95_ms:>9.1f}{f.p99_ms:>9.1f}{f.failed:>8.1%}"
        )
    say("\nmemory per service (RSS MB): idle → after load")
    for name in idle:
        say(f"  {name:<13}{idle[name]:>7.1f} → {loaded.get(name, float('nan')):.1f}")


if __name__ == "__main__":
    sys.exit(main())
