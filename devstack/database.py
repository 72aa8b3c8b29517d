"""Roles and databases, created and dropped as the PostgreSQL superuser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import asyncpg

from devstack.blocking import run_blocking
from devstack.services import INIT_SQL, SERVICE_NAMES

DEFAULT_ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class DatabaseSetupError(RuntimeError):
    """Creating roles or databases failed."""


def admin_database_url() -> str:
    """The superuser URL (ADMIN_DATABASE_URL, else the local trust-auth default)."""
    return os.environ.get("ADMIN_DATABASE_URL", DEFAULT_ADMIN_DATABASE_URL)


def plain_url(url: str) -> str:
    """`postgresql+asyncpg://` -> `postgresql://` (what psql and asyncpg accept)."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def host_port(url: str) -> tuple[str, int]:
    """Host and port of a PostgreSQL URL."""
    parts = urlsplit(plain_url(url))
    return parts.hostname or "127.0.0.1", parts.port or 5432


def quote_identifier(name: str) -> str:
    """Quote a role or database name we made ourselves (refuses anything odd)."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def apply_init_sql(admin_url: str | None = None) -> None:
    """Create the five roles and databases idempotently (init-scripts/01-databases.sql)."""
    url = plain_url(admin_url or admin_database_url())
    psql = shutil.which("psql")
    if psql is None:
        run_blocking(lambda: _ensure_roles_and_databases(url))
        return
    command = [psql, url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(INIT_SQL)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DatabaseSetupError(f"psql failed ({result.returncode}):\n{result.stderr}")


async def _ensure_roles_and_databases(url: str) -> None:
    """The same as the SQL file, for machines without psql."""
    conn = await asyncpg.connect(url)
    try:
        for name in SERVICE_NAMES:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                await conn.execute(f"CREATE ROLE {quote_identifier(name)} LOGIN PASSWORD '{name}'")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(
                    f"CREATE DATABASE {quote_identifier(name)} OWNER {quote_identifier(name)}"
                )
    finally:
        await conn.close()


def create_databases(databases: dict[str, str], admin_url: str | None = None) -> None:
    """Create each database (name -> owner role) unless it exists."""
    url = plain_url(admin_url or admin_database_url())

    async def create() -> None:
        conn = await asyncpg.connect(url)
        try:
            for name, owner in databases.items():
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                    await conn.execute(
                        f"CREATE DATABASE {quote_identifier(name)} OWNER {quote_identifier(owner)}"
                    )
        finally:
            await conn.close()

    run_blocking(create)


def drop_databases(names: list[str], admin_url: str | None = None) -> None:
    """Drop each database, disconnecting whoever is still connected."""
    url = plain_url(admin_url or admin_database_url())

    async def drop() -> None:
        conn = await asyncpg.connect(url)
        try:
            for name in names:
                await conn.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)} WITH (FORCE)")
        finally:
            await conn.close()

    run_blocking(drop)
