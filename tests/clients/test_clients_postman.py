"""postman_collection.json, run by newman (npm) against a whole stack: green every time."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from devstack.services import REPO_ROOT
from devstack.stack import RunningStack
from tests.clients.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, HERE, node_tool
from tests.clients.mailpit import RunningMailpit

COLLECTION = REPO_ROOT / "postman_collection.json"


def run_newman(
    stack: RunningStack, mailpit: RunningMailpit, report: Path
) -> subprocess.CompletedProcess[str]:
    command = [str(node_tool("newman")), "run", str(COLLECTION), "--working-dir", str(HERE)]
    for key, value in {
        "baseUrl": stack.gateway_url,
        "adminEmail": ADMIN_EMAIL,
        "adminPassword": ADMIN_PASSWORD,
        "mailUrl": mailpit.api_url,
    }.items():
        command += ["--env-var", f"{key}={value}"]
    command += ["--reporters", "cli,json", "--reporter-json-export", str(report)]
    command += [
        "--reporter-cli-no-banner",
        "--reporter-cli-no-success-assertions",
        "--color",
        "off",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


def collection_requests() -> list[str]:
    collection = json.loads(COLLECTION.read_text())
    return [item["name"] for folder in collection["item"] for item in folder["item"]]


def test_collection_passes_every_assertion_when_newman_runs_it(
    clients_stack: RunningStack, mailpit: RunningMailpit, tmp_path: Path
) -> None:
    report = tmp_path / "newman.json"
    result = run_newman(clients_stack, mailpit, report)
    summary = result.stdout[-6000:] + result.stderr[-2000:]
    print(result.stdout[-3000:])  # noqa: T201 — newman's summary table, shown with pytest -s
    assert result.returncode == 0, summary
    run: dict[str, Any] = json.loads(report.read_text())["run"]
    assert run["failures"] == [], summary
    assert run["stats"]["assertions"]["failed"] == 0
    # every request of the collection ran (the waits run theirs more than once)
    executed = {execution["item"]["name"] for execution in run["executions"]}
    assert executed == set(collection_requests())
    assert run["stats"]["assertions"]["total"] >= 2 * len(collection_requests())
