"""Management commands: ``python -m auth_service.manage create-admin --email E --password P``.

Settings (DATABASE_URL, …) come from the environment like the service's own.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from auth_service import repository, service
from auth_service.domain import Role, validate_email, validate_password
from auth_service.main import MIGRATIONS_DIR
from auth_service.settings import Settings
from shared import db


async def create_admin(settings: Settings, *, email: str, password: str) -> tuple[bool, str]:
    """Create an admin account; (ok, what happened)."""
    if settings.RUN_MIGRATIONS:
        await db.run_migrations(MIGRATIONS_DIR, settings.DATABASE_URL)
    engine = db.make_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with db.make_sessionmaker(engine, service=settings.SERVICE_NAME)() as session:
            if await service.ensure_admin(session, email=email, password=password):
                return True, f"created admin {email}"
            async with session.begin():
                existing = await repository.get_user_by_email(session, email)
            if existing is not None and existing.role == Role.ADMIN.value:
                return True, f"admin {email} already exists"
            role = existing.role if existing else "unknown"
            return False, f"{email} already belongs to a {role} account (promote it as an admin)"
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth_service.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="create an admin account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    args = parser.parse_args(argv)

    try:
        email = validate_email(args.email)
        password = validate_password(args.password)
    except ValueError as exc:
        parser.error(str(exc))
    ok, message = asyncio.run(create_admin(Settings(), email=email, password=password))
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
