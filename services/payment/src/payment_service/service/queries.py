"""Reading payments: the payer's own, or everyone's for admins."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository
from payment_service.domain import PaymentNotFound
from payment_service.orm import Payment
from payment_service.schemas import PaymentRead
from shared.pagination import Page, PageParams, paginate
from shared.security import Principal


async def get_payment(session: AsyncSession, *, user: Principal, payment_id: uuid.UUID) -> Payment:
    """One payment, for its payer or an admin (404 for anyone else)."""
    async with session.begin():
        payment = await repository.get_payment(session, payment_id)
    if payment is None or (not user.is_admin and payment.user_id != user.id):
        raise PaymentNotFound()
    return payment


async def list_payments(
    session: AsyncSession, *, user: Principal, booking_id: uuid.UUID | None, page: PageParams
) -> Page[PaymentRead]:
    """The caller's payments, newest first; admins see everyone's."""
    stmt = repository.list_payments(
        user_id=None if user.is_admin else user.id, booking_id=booking_id
    )
    async with session.begin():
        rows, total = await paginate(session, stmt, page)
    items = [PaymentRead.model_validate(row) for row in rows]
    return Page(items=items, page=page.page, page_size=page.page_size, total=total)
