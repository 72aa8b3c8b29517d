"""The live stream of an event (``event_service/live.py`` holds the feeds): who may open it,
and what it reads."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

from event_service.context import Context
from event_service.live import State
from event_service.service import browse
from event_service.service.access import visible_facts
from shared.security import Principal


async def open_stream(
    ctx: Context, *, user: Principal | None, event_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """The caller's stream of an event they may see (404 otherwise, before the stream starts)."""
    await visible_facts(ctx, event_id, user)

    async def read() -> State | None:
        found = await browse.live_state(ctx, event_id)
        if found is None:
            return None
        tiers, sold, held = found
        return State(int(time.time() * 1000), tiers, sold, held)

    return ctx.live.stream(
        event_id,
        read,
        interval=ctx.settings.LIVE_INTERVAL_SECONDS,
        keepalive=ctx.settings.LIVE_KEEPALIVE_SECONDS,
    )
