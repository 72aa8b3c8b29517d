"""Remove what a test stack left in RabbitMQ and Redis (names carry its namespace)."""

from __future__ import annotations

import logging

import aio_pika
import redis

from devstack.blocking import run_blocking
from devstack.services import SERVICE_NAMES

log = logging.getLogger(__name__)
QUEUE_SUFFIXES = ("events", "dlq", "retry")


def broker_names(namespace: str) -> tuple[list[str], list[str]]:
    """(exchanges, queues) a stack with this messaging namespace declares."""
    exchanges = [
        f"{namespace}.ticketing",
        f"{namespace}.ticketing.dlx",
        f"{namespace}.ticketing.retry",
    ]
    queues = [f"{namespace}.{svc}.{suffix}" for svc in SERVICE_NAMES for suffix in QUEUE_SUFFIXES]
    return exchanges, queues


def delete_broker_objects(amqp_url: str, namespace: str) -> None:
    """Delete the namespace's queues and exchanges; missing ones are fine."""
    if not namespace:
        raise ValueError("refusing to clean the un-namespaced (shared) topology")
    exchanges, queues = broker_names(namespace)

    async def delete() -> None:
        connection = await aio_pika.connect(amqp_url, timeout=10)
        async with connection:
            for kind, names in (("queue", queues), ("exchange", exchanges)):
                for name in names:
                    channel = await connection.channel()
                    try:
                        if kind == "queue":
                            await channel.queue_delete(name)
                        else:
                            await channel.exchange_delete(name)
                    except Exception as exc:
                        log.debug("could not delete %s %s: %s", kind, name, exc)
                    finally:
                        if not channel.is_closed:
                            await channel.close()

    run_blocking(delete)


def delete_redis_keys(redis_url: str, prefix: str) -> int:
    """UNLINK every key starting with `prefix`; return how many."""
    if not prefix:
        raise ValueError("refusing to delete every Redis key (empty prefix)")
    pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in prefix) + "*"
    client = redis.Redis.from_url(redis_url)
    deleted = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(client.unlink(*batch))
    finally:
        client.close()
    return deleted
