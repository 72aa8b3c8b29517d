"""Argon2id password hashing, off the event loop."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106 "low memory" profile (argon2id, m=64 MiB, t=3, p=4): above OWASP's minimum
# (m=19 MiB, t=2, p=1).
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("dummy password for unknown accounts")


async def verify_nothing(password: str) -> None:
    """Spend what a real verification costs, so an unknown email answers as slowly."""
    dummy = await asyncio.to_thread(_dummy_hash)
    await verify_password(dummy, password)


async def warm_up() -> None:
    """Compute the dummy hash at start-up, not on the first unknown-email login."""
    await asyncio.to_thread(_dummy_hash)
