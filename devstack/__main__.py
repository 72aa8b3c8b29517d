"""`python -m devstack <command>` (run from the repo root; `make help` lists them)."""

from __future__ import annotations

import argparse
import logging
import sys

from devstack import bench, local
from devstack.chaos import run as chaos
from devstack.config import StackConfig, load_env_file
from devstack.database import apply_init_sql
from devstack.gateway import nginx_command, write_config
from devstack.keys import KEYS_DIR, ensure_keys


def keys() -> int:
    created = ensure_keys(KEYS_DIR)
    for path in created:
        local.say(f"generated {path}")
    return 0


def db() -> int:
    apply_init_sql()
    local.say("databases ready: auth, event, booking, payment, notification")
    return 0


def render_nginx() -> int:
    settings = StackConfig.for_local().gateway_settings()
    path = write_config(settings)
    local.say(f"wrote {path}")
    local.say("run: " + " ".join(nginx_command(settings)))
    return 0


COMMANDS = {
    "up": local.up,
    "down": local.down,
    "status": local.status,
    "logs": local.logs,
    "keys": keys,
    "db": db,
    "render-nginx": render_nginx,
    "bench": bench.main,
    "chaos": chaos.main,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS))
    args, _rest = parser.parse_known_args(argv)  # `bench` and `chaos` read their own options
    load_env_file()  # .env at the repository root, under whatever the environment sets
    logging.basicConfig(level=logging.INFO, format="devstack: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request is noise here
    return COMMANDS[args.command]()


if __name__ == "__main__":
    sys.exit(main())
