"""The email telling someone on a waiting list that places are held for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails
from notification_service.domain import Addressee, NotificationKind
from notification_service.service.delivery import address_of, known_address, tell
from shared.contracts.event import WaitlistOfferedV1
from shared.messaging import Envelope

if TYPE_CHECKING:
    from notification_service.context import Context


async def tell_waitlist_offer(
    session: AsyncSession, envelope: Envelope[WaitlistOfferedV1], ctx: Context
) -> None:
    """Places are held for the next in line: what, until when, and how to book them."""
    data = envelope.data
    to: Addressee | None
    if data.user_email:
        to = await address_of(session, data.user_id, data.user_email)
    else:
        to = await known_address(session, data.user_id)
    email = emails.waitlist_offer(
        greeting=to.greeting if to else "",
        title=data.title,
        starts_at=data.starts_at,
        places=data.quantity,
        tier=data.tier,
        hold_id=data.hold_id,
        expires_at=data.expires_at,
        base_url=ctx.settings.PUBLIC_BASE_URL,
    )
    await tell(session, ctx, envelope, kind=NotificationKind.WAITLIST_OFFER, to=to, email=email)
