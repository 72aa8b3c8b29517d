"""Run a k6 script from ``k6/`` and read its end-of-test summary."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.services import REPO_ROOT, VENV_BIN

K6 = VENV_BIN / "k6"
SCRIPTS = REPO_ROOT / "k6"


@dataclass(frozen=True)
class Summary:
    metrics: dict[str, Any]

    def rate(self, metric: str = "http_reqs") -> float:
        return float(self.metrics.get(metric, {}).get("rate", 0.0))

    def count(self, metric: str) -> int:
        return int(self.metrics.get(metric, {}).get("count", 0))

    def trend(self, metric: str, stat: str) -> float:
        return float(self.metrics.get(metric, {}).get(stat, float("nan")))

    @property
    def failed(self) -> float:
        return float(self.metrics.get("http_req_failed", {}).get("value", 0.0))


def run(script: str, **env: object) -> Summary:
    """``k6 run k6/<script>`` with ``-e KEY=value`` for each of ``env``; k6's exit code (99 when
    a threshold fails) is not fatal here: the figures say what happened."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        command = [str(K6), "run", "--quiet", "--no-usage-report", f"--summary-export={summary}"]
        for key, value in env.items():
            command += ["-e", f"{key}={value}"]
        command.append(str(SCRIPTS / script))
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if os.environ.get("BENCH_K6_LOG"):  # what k6 printed, for the one debugging a script
            Path(os.environ["BENCH_K6_LOG"]).write_text(done.stdout + done.stderr)
        if not summary.exists():
            raise RuntimeError(f"k6 {script} wrote no summary")
        return Summary(json.loads(summary.read_text())["metrics"])
