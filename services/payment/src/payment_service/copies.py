"""Payment requests waiting for their booking's ``booking.created`` (how waiting works:
``shared.watch``).

A buyer pays right after booking, usually a few milliseconds before ``booking.created`` has
reached us. Asking booking over HTTP then costs both services a request; waiting a moment for
our own copy costs nearly nothing: the consumer that commits a copy rings whoever waits for it
(after the commit), and one statement every 0.25 s for all the waiters of the process finds a
copy that another replica consumed.

How long to wait depends on whether copies are arriving at all: while our consumer keeps
committing copies of other bookings, booking.created is flowing and only behind (an on-sale at
this machine's limit), and asking booking would add a request to both services exactly when
they have the least to spare — so the wait stretches. When no copy has arrived lately
(RabbitMQ down, our consumer stopped), asking booking soon is the only way forward.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.watch import Watch

_COPIED = text("SELECT booking_id FROM booking_copy WHERE booking_id = ANY(:ids)")

# At the machine's limit copies come in bursts up to ~2 s apart (measured at 65 journeys/s on
# 2 cores): a copy this recent means our consumer is working.
FLOWING_WITHIN = 3.0


def copy_watch(single: AsyncEngine) -> Watch:
    """Rung by the booking.created consumer after its commit; the recheck finds the rest."""
    return Watch(single, _COPIED)
