"""The attendee list of an event, as CSV, streamed to its organizer or an admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking_service import attendee_csv
from booking_service import repository as repo
from booking_service.service.reports import ensure_manages_event
from shared.security import Principal

ROWS_PER_CHUNK = 1000


async def export_attendees(
    session: AsyncSession,
    *,
    user: Principal,
    event_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    rows_per_chunk: int = ROWS_PER_CHUNK,
) -> AsyncIterator[bytes]:
    """One CSV row per ticket of the event's confirmed bookings (``attendee_csv``). Who may
    read it is settled here, before a byte is sent, exactly as for the event's sales; the rows
    then come from the returned iterator, which reads them through a server-side cursor."""
    async with session.begin():
        await ensure_manages_event(session, user=user, event_id=event_id)
    return _chunks(sessionmaker, event_id=event_id, rows_per_chunk=rows_per_chunk)


async def _chunks(
    sessionmaker: async_sessionmaker[AsyncSession], *, event_id: uuid.UUID, rows_per_chunk: int
) -> AsyncIterator[bytes]:
    """The header, then ``rows_per_chunk`` rows at a time: memory stays flat however many
    tickets the event sold. The session is the stream's own (the request's may be gone by the
    time the body is sent); its one transaction — one snapshot — lasts as long as the download
    and ends with it, also when the client leaves halfway (the response closes the iterator)."""
    yield attendee_csv.header()
    statement = repo.attendees_of_event(event_id).execution_options(yield_per=rows_per_chunk)
    async with sessionmaker() as session, session.begin():
        result = await session.stream(statement)
        async for rows in result.partitions():
            yield attendee_csv.encode(attendee_csv.cells(row) for row in rows)
