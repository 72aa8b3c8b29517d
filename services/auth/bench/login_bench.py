"""Sign-in throughput through the gateway, with k6 (a benchmark, not a test).

    PYTHONPATH=. .venv/bin/python services/auth/bench/login_bench.py [--vus 16] [--duration 20s]

Starts a throw-away stack (auth behind a real nginx, gateway limits lifted), registers the users,
runs ``bench/login.js`` with ``.venv/bin/k6`` and tears everything down. Only loopback traffic;
the run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx2

from devstack.stack import StackConfig, run_stack

HERE = Path(__file__).resolve().parent
K6 = Path(sys.executable).parent / "k6"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vus", type=int, default=16)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()

    cfg = StackConfig.for_tests(f"authbench{uuid.uuid4().hex[:4]}", services=("auth",))
    with run_stack(cfg) as stack, tempfile.TemporaryDirectory() as tmp:
        users = []
        with httpx2.Client(base_url=stack.gateway_url, timeout=30) as client:
            for i in range(args.users):
                user = {
                    "email": f"bench{i}-{uuid.uuid4().hex[:6]}@example.test",
                    "password": "bench-password-1",
                }
                created = client.post(
                    "/api/auth/register", json={**user, "full_name": f"Bench {i}"}
                )
                created.raise_for_status()
                users.append(user)
        users_file = Path(tmp) / "users.json"
        users_file.write_text(json.dumps(users))
        command = [
            str(K6),
            "run",
            "--quiet",
            "-e",
            f"BASE_URL={stack.gateway_url}",
            "-e",
            f"USERS_FILE={users_file}",
            "-e",
            f"VUS={args.vus}",
            "-e",
            f"DURATION={args.duration}",
            str(HERE / "login.js"),
        ]
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
