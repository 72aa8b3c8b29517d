"""The webhook sender: due deliveries out, signed, each in a task of its own.

Each round claims what fits (``WEBHOOK_MAX_IN_FLIGHT`` attempts at once in the process, at most
``WEBHOOK_PER_ENDPOINT`` of them for one endpoint) with a lease — a delivery claimed by a sender
that dies is due again once the lease is over — and starts the attempts; then it waits for one
to end, a handler's wake-up or the poll interval. So a slow or dead endpoint ties up only its
own few slots, for at most ``WEBHOOK_TIMEOUT_SECONDS`` each, never the others' nor the emails
(which have a sender of their own); a burst of thousands of messages waits in PostgreSQL, not in
memory.

An attempt: the URL's rules checked again and the connection made to the checked address
(``urls.resolve``), ``POST`` of the stored body with a fresh signature, no redirects followed,
the answer's body never read. A 2xx is ``delivered``; anything else is tried again after
``WEBHOOK_RETRY_BASE_SECONDS`` × 2^(attempts − 1) (at most ``WEBHOOK_RETRY_MAX_SECONDS``),
±50 % jitter, until the deadline (``WEBHOOK_GIVE_UP_HOURS`` after the message, or after a
redelivery was asked): then ``failed``.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import timedelta

import httpx2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification_service.metrics import WEBHOOK_DELIVERIES
from notification_service.settings import Settings
from notification_service.webhooks import repository as repo
from notification_service.webhooks.repository import Claimed
from notification_service.webhooks.signing import DELIVERY_HEADER, HEADER, signature
from notification_service.webhooks.urls import UrlNotAllowed, resolve
from shared.db import WakeUp, utcnow
from shared.logging import get_logger

log = get_logger(__name__)

_ERROR_LIMIT = 500

Outcome = tuple[int | None, str | None]  # status code (None: no answer), error (None: 2xx)


class WebhookSender:
    """The process's attempts under way (see the module doc)."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        wake: WakeUp,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.wake = wake
        self.in_flight: dict[uuid.UUID, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.client = httpx2.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            limits=httpx2.Limits(max_connections=settings.WEBHOOK_MAX_IN_FLIGHT),
        )

    async def round(self) -> None:
        """Claim and start what fits, then wait for an attempt to end, a wake-up or the poll
        interval (the runtime calls this again and again)."""
        try:
            room = self.settings.WEBHOOK_MAX_IN_FLIGHT - len(self.tasks)
            if room > 0:
                for delivery in await self._claim(room):
                    self._start(delivery)
            waiter = asyncio.ensure_future(self.wake.wait(self.settings.WEBHOOK_POLL_SECONDS))
            await asyncio.wait({waiter, *self.tasks}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        except asyncio.CancelledError:  # the service is stopping: leases bring the rest back
            for task in self.tasks:
                task.cancel()
            await self.client.aclose()
            raise

    async def _claim(self, room: int) -> list[Claimed]:
        async with self.sessionmaker() as session, session.begin():
            return await repo.claim_due(
                session,
                limit=room,
                cap=self.settings.WEBHOOK_PER_ENDPOINT,
                in_flight=self.in_flight,
                lease_seconds=self.settings.WEBHOOK_TIMEOUT_SECONDS + 30,
            )

    def _start(self, delivery: Claimed) -> None:
        self.in_flight[delivery.webhook_id] = self.in_flight.get(delivery.webhook_id, 0) + 1
        task = asyncio.create_task(self._deliver(delivery))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, delivery: Claimed) -> None:
        try:
            outcome = await attempt(self.client, delivery, self.settings)
            await self._record(delivery, outcome)
        except Exception:
            log.exception("webhook_attempt_failed", delivery_id=str(delivery.id))
        finally:
            left = self.in_flight.get(delivery.webhook_id, 1) - 1
            if left > 0:
                self.in_flight[delivery.webhook_id] = left
            else:
                self.in_flight.pop(delivery.webhook_id, None)

    async def _record(self, delivery: Claimed, outcome: Outcome) -> None:
        code, error = outcome
        if error is None:
            status, later = "delivered", None
        else:
            later = utcnow() + timedelta(seconds=retry_delay(self.settings, delivery.attempts))
            status = "failed" if later > delivery.deadline_at else "pending"
        async with self.sessionmaker() as session, session.begin():
            await repo.record(session, delivery.id, status=status, status_code=code,
                              error=error, next_attempt_at=later)  # fmt: skip
        WEBHOOK_DELIVERIES["retried" if status == "pending" else status].inc()
        log.info("webhook_attempt", delivery_id=str(delivery.id), status=status, code=code,
                 attempt=delivery.attempts)  # fmt: skip


def retry_delay(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after the ``attempts``-th failed (with jitter)."""
    delay = settings.WEBHOOK_RETRY_BASE_SECONDS * 2.0 ** min(attempts - 1, 30)
    return min(settings.WEBHOOK_RETRY_MAX_SECONDS, delay) * random.uniform(0.5, 1.5)


async def attempt(client: httpx2.AsyncClient, delivery: Claimed, settings: Settings) -> Outcome:
    """One ``POST`` of the delivery (see the module doc)."""
    try:
        target = await resolve(delivery.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except UrlNotAllowed as exc:
        return None, exc.message
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ticketing-webhooks/1",
        "Host": target.host_header,
        HEADER: signature(delivery.secret, int(time.time()), body),
        DELIVERY_HEADER: str(delivery.id),
    }
    try:
        async with client.stream(
            "POST", target.url, content=body, headers=headers,
            extensions={"sni_hostname": target.host},
        ) as response:  # fmt: skip
            code = response.status_code
    except httpx2.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
    return code, None if 200 <= code < 300 else f"HTTP {code}"
