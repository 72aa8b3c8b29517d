"""Where the real PostgreSQL, Redis and RabbitMQ are, and throw-away space on each.

URLs come from ``TEST_ADMIN_DATABASE_URL`` / ``TEST_REDIS_URL`` / ``TEST_AMQP_URL``; when unset,
the local servers are used if they answer, otherwise testcontainers if a Docker engine runs.
Every test run works in its own databases, key prefix and messaging namespace, so tests can
run beside ``make up``.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import aio_pika
import asyncpg
from redis.asyncio import Redis

from shared.messaging.topology import Names

LOCAL_ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
SERVICES = ("auth", "event", "booking", "payment", "notification")
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class InfraUrls:
    admin_database: str
    redis: str
    amqp: str

    def database_url(self, name: str, *, owner: str) -> str:
        """The asyncpg URL of database ``name`` as role ``owner`` (password = role name in dev)."""
        parts = urlsplit(self.admin_database)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or 5432
        return f"postgresql+asyncpg://{owner}:{owner}@{host}:{port}/{name}"


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def _docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    return result.returncode == 0


def resolve_infra() -> InfraUrls:
    """The servers tests use (see module docstring)."""
    admin = os.environ.get("TEST_ADMIN_DATABASE_URL")
    redis = os.environ.get("TEST_REDIS_URL")
    amqp = os.environ.get("TEST_AMQP_URL")
    local = InfraUrls(LOCAL_ADMIN_DATABASE_URL, LOCAL_REDIS_URL, LOCAL_AMQP_URL)
    admin = admin or (local.admin_database if _answers(local.admin_database, 5432) else None)
    redis = redis or (local.redis if _answers(local.redis, 6379) else None)
    amqp = amqp or (local.amqp if _answers(local.amqp, 5672) else None)
    if admin and redis and amqp:
        return InfraUrls(admin, redis, amqp)
    if _docker_engine():  # pragma: no cover - no engine on the CI machine
        return _containers(admin, redis, amqp)
    missing = [n for n, u in (("PostgreSQL", admin), ("Redis", redis), ("RabbitMQ", amqp)) if not u]
    raise RuntimeError(
        f"{', '.join(missing)} not reachable: start them (make up does) or set TEST_*_URL"
    )


def _containers(
    admin: str | None, redis: str | None, amqp: str | None
) -> InfraUrls:  # pragma: no cover
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer
    from testcontainers.redis import RedisContainer

    if not admin:
        pg = PostgresContainer("postgres:16-alpine", driver=None).start()
        admin = pg.get_connection_url()
    if not redis:
        rc = RedisContainer("redis:7-alpine").start()
        redis = f"redis://{rc.get_container_host_ip()}:{rc.get_exposed_port(6379)}/0"
    if not amqp:
        mq = RabbitMqContainer("rabbitmq:3.13-alpine").start()
        amqp = f"amqp://guest:guest@{mq.get_container_host_ip()}:{mq.get_exposed_port(5672)}/"
    return InfraUrls(admin, redis, amqp)


def unique_name(stem: str) -> str:
    """``t<8 hex>_<stem>``: a name no other run uses."""
    return f"t{uuid.uuid4().hex[:8]}_{stem}"


async def create_database(infra: InfraUrls, name: str, *, owner: str) -> str:
    """Create role ``owner`` if missing and database ``name`` owned by it; returns its URL."""
    if not (_SAFE_NAME.match(name) and _SAFE_NAME.match(owner)):
        raise ValueError(f"unsafe database or role name: {name!r}, {owner!r}")
    conn = await asyncpg.connect(infra.admin_database)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner)
        if not exists:
            await conn.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{owner}'")
        await conn.execute(f"CREATE DATABASE {name} OWNER {owner}")
    finally:
        await conn.close()
    return infra.database_url(name, owner=owner)


async def drop_database(infra: InfraUrls, name: str) -> None:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name: {name!r}")
    conn = await asyncpg.connect(infra.admin_database)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


async def delete_namespace(
    infra: InfraUrls, namespace: str, *, services: tuple[str, ...] = SERVICES
) -> None:
    """Delete the exchanges and queues a test namespace created for ``services``."""
    names = Names(namespace)
    connection = await aio_pika.connect(infra.amqp)
    try:
        for service in services:
            for queue in (names.queue(service), names.dead_letter_queue(service)):
                channel = await connection.channel()
                with contextlib.suppress(aio_pika.exceptions.AMQPError):
                    await channel.queue_delete(queue)
        for exchange in (names.exchange, names.dead_letter_exchange):
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(exchange)
    finally:
        await connection.close()


async def delete_redis_prefix(infra: InfraUrls, prefix: str) -> None:
    if not prefix:
        raise ValueError("refusing to delete every key")
    redis = Redis.from_url(infra.redis)
    try:
        batch: list[bytes] = []
        async for key in redis.scan_iter(match=f"{prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await redis.unlink(*batch)
                batch.clear()
        if batch:
            await redis.unlink(*batch)
    finally:
        await redis.aclose()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()  # noqa: SIM115
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on, chosen below the kernel's ephemeral range.

    Asking the kernel for port 0 hands out ephemeral ports — the same pool outgoing connections
    draw from — so a port found free could be taken by some client's connection before our
    server binds it (seen as nginx's "Address already in use"). Below the range only servers
    bind, and a bind check on every interface proves it free.
    """
    low, _high = _ephemeral_range()
    start, end = max(1024, low - 12000), low - 1
    for _ in range(200):
        port = random.randint(start, end)
        try:
            for address in (host, "0.0.0.0"):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port between {start} and {end}")
