"""Sales for organizers and admins, and the admin's view of every booking."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import repository as repo
from booking_service.domain import BookingStatus
from booking_service.schemas import (
    BookingRead,
    EventSales,
    EventSalesRow,
    SalesOverview,
    SalesTotal,
    TierSales,
)
from shared.errors import NotFound
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal

_UNHEARD_OF = "No such event: booking has not heard of it."


async def event_sales(session: AsyncSession, *, user: Principal, event_id: uuid.UUID) -> EventSales:
    """One event's sales: confirmed places and revenue per tier, bookings per status.

    Booking knows an event's organizer from ``event.published`` (its event copy) and from the
    organizer id its bookings carry: the owner of a published event reads zeros until the
    first booking; other organizers, and everyone for an event booking never heard of, 404.
    """
    async with session.begin():
        known = await _organizer_check(session, user=user, event_id=event_id)
        by_status = await repo.count_bookings_by_status(session, event_id)
        if known is None and not by_status:
            raise NotFound(_UNHEARD_OF)
        tiers = await repo.list_sold_by_tier(session, event_id)
    currency = tiers[0][0] if tiers else None
    return EventSales(
        event_id=event_id,
        currency=currency,
        tickets_sold=sum(sold for _, _, sold, _ in tiers),
        revenue=sum(revenue for _, _, _, revenue in tiers),
        by_tier=[TierSales(tier=tier, sold=sold, revenue=rev) for _, tier, sold, rev in tiers],
        bookings_by_status={s.value: by_status.get(s.value, 0) for s in BookingStatus},
    )


async def ensure_manages_event(
    session: AsyncSession, *, user: Principal, event_id: uuid.UUID
) -> None:
    """The event's sales rule for other reports of one event (its attendee list): 404 unless
    the caller is its organizer or an admin, and for everyone when booking never heard of it."""
    known = await _organizer_check(session, user=user, event_id=event_id)
    if known is None and not await repo.any_booking_of_event(session, event_id):
        raise NotFound(_UNHEARD_OF)


async def _organizer_check(
    session: AsyncSession, *, user: Principal, event_id: uuid.UUID
) -> uuid.UUID | None:
    """404 unless the caller is an admin or an organizer booking knows for the event (from its
    copy or its bookings); the organizer of the event copy, if any."""
    known = await repo.get_event_organizer(session, event_id)
    organizers = set(await repo.list_organizers_of_event(session, event_id))
    if known is not None:
        organizers.add(known)
    if not user.is_admin and user.id not in organizers:
        raise NotFound("No sales of yours for this event.")
    return known


async def sales_overview(session: AsyncSession, *, user: Principal) -> SalesOverview:
    """One row per event of the caller (admin: every event), with totals per currency."""
    async with session.begin():
        rows = await repo.list_event_sales(session, organizer_id=None if user.is_admin else user.id)
    events = [
        EventSalesRow(
            event_id=event_id,
            title=title,
            currency=currency,
            tickets_sold=sold,
            revenue=revenue,
            confirmed_bookings=confirmed,
        )
        for event_id, title, currency, sold, revenue, confirmed in rows
    ]
    totals: dict[str, SalesTotal] = {}
    for row in events:
        total = totals.setdefault(row.currency, SalesTotal(currency=row.currency))
        total.tickets_sold += row.tickets_sold
        total.revenue += row.revenue
    return SalesOverview(events=events, totals=sorted(totals.values(), key=lambda t: t.currency))


async def list_all_bookings(
    session: AsyncSession,
    *,
    page: PageParams,
    event_id: uuid.UUID | None,
    status: BookingStatus | None,
    user_id: uuid.UUID | None,
) -> Page[BookingRead]:
    """Every booking (admin), newest first, filtered."""
    stmt = repo.all_bookings(user_id=user_id, event_id=event_id, status=status)
    async with session.begin():
        rows, total = await paginate(session, stmt, page)
        items = [BookingRead.of(b) for b in rows]
    return Page(items=items, page=page.page, page_size=page.page_size, total=total)
