"""The transaction of a use case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[None]:
    """One use case, one transaction (ending the read-only one autobegun by earlier reads)."""
    if session.in_transaction():
        await session.commit()
    async with session.begin():
        yield
