"""Argon2id password hashing, off the event loop.

Parameters: OWASP's first recommended argon2id configuration, m = 19 MiB (19456 KiB), t = 2,
p = 1. Chosen deliberately for a 2-core box: one hash or verification costs ~20-30 ms of ONE core
(measured, see the README), so the machine can check roughly 60-90 passwords a second doing
nothing else; the RFC 9106 "low memory" profile (m = 64 MiB, t = 3, p = 4) cost about 4x that and
made sign-in the cheapest denial of service. Older hashes are upgraded on the next sign-in
(``needs_rehash``). Hashing runs in a small dedicated thread pool (one worker per core), so a burst
of sign-ins neither blocks the event loop nor starves other ``to_thread`` work, and memory stays
bounded (workers x 19 MiB).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MEMORY_COST_KIB = 19456
TIME_COST = 2
PARALLELISM = 1

T = TypeVar("T")


def _give_hash_memory_back() -> None:
    """Keep argon2's 19 MiB blocks out of glibc's arenas.

    After a large block is freed glibc raises its mmap threshold, so the next 19 MiB come from
    the hashing thread's own arena and stay there: ~40 MB of resident memory for two workers
    that never shrinks. A fixed threshold (1 MiB) keeps every block an mmap, returned to the
    system as soon as the hash is done. Elsewhere than glibc there is nothing to do.
    """
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 1 << 20)


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_give_hash_memory_back()

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2")


async def _run(fn: functools.partial[T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool(), fn)


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


def verify_password_sync(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await _run(functools.partial(hash_password_sync, password))


async def verify_password(password_hash: str, password: str) -> bool:
    return await _run(functools.partial(verify_password_sync, password_hash, password))


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("dummy password for unknown accounts")


async def verify_nothing(password: str) -> None:
    """Spend what a real verification costs, so an unknown email answers as slowly."""
    dummy = await _run(functools.partial(_dummy_hash))
    await verify_password(dummy, password)


async def warm_up() -> None:
    """Compute the dummy hash at start-up, not on the first unknown-email login."""
    await _run(functools.partial(_dummy_hash))
