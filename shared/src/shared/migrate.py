"""``python -m shared.migrate <migrations-dir>``: ``alembic upgrade head`` on ``DATABASE_URL``.

A service that migrates on start runs this as a child process
(``shared.db.run_migrations_in_child``), so the server itself never loads Alembic.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from shared import db


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not os.environ.get("DATABASE_URL"):
        sys.stderr.write("usage: DATABASE_URL=… python -m shared.migrate <migrations-dir>\n")
        return 2
    asyncio.run(db.run_migrations(Path(argv[0]), os.environ["DATABASE_URL"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
