"""Pytest fixtures every suite can use (registered by the root ``conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from shared.testing.infra import (
    SERVICES,
    InfraUrls,
    create_database,
    delete_namespace,
    delete_redis_prefix,
    drop_database,
    resolve_infra,
    unique_name,
)
from shared.testing.tokens import TestSigner


@pytest.fixture(scope="session")
def infra() -> InfraUrls:
    return resolve_infra()


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture(scope="session")
async def make_database(infra: InfraUrls) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """``await make_database("booking")`` → URL of a new database owned by role ``booking``."""
    created: list[str] = []

    async def make(service: str) -> str:
        name = unique_name(service)
        created.append(name)
        return await create_database(infra, name, owner=service)

    yield make
    for name in created:
        await drop_database(infra, name)


@pytest.fixture(scope="session")
async def make_namespace(infra: InfraUrls) -> AsyncIterator[Callable[[str], str]]:
    """``make_namespace("booking")`` → a namespace and Redis prefix, removed afterwards.

    The stem is also taken as a service name, so a test-only service's queues go too."""
    created: list[tuple[str, str]] = []

    def make(stem: str) -> str:
        name = unique_name(stem).replace("_", "-")
        created.append((name, stem))
        return name

    yield make
    for name, stem in created:
        await delete_namespace(infra, name, services=tuple({*SERVICES, stem}))
        await delete_redis_prefix(infra, f"{name}:")
