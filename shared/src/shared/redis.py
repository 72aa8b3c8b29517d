"""The Redis client (one per process) and key prefixing for test isolation."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from shared.settings import ServiceSettings


def make_redis(settings: ServiceSettings) -> Redis:
    return Redis.from_url(
        settings.REDIS_URL,
        decode_responses=True,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry_on_timeout=True,
    )


def prefixed(settings: ServiceSettings, key: str) -> str:
    """``REDIS_PREFIX`` + key; services build every key through this."""
    return f"{settings.REDIS_PREFIX}{key}"


async def ping(redis: Redis) -> None:
    await asyncio.wait_for(redis.ping(), timeout=2)
