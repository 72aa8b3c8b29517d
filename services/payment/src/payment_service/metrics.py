"""The payment service's business metrics (names from DESIGN.md, "Observability").

Counted when the change commits (``shared.db.count_on_commit``); labels are outcomes and
currencies only — never payment, booking or user ids."""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import count_on_commit

PAYMENTS = Counter(
    "ticketing_payments_total",
    "Payments by outcome: succeeded (charged), failed (declined, processor error or "
    "interrupted), refunded.",
    ["outcome"],
)
# each outcome's counter, made once (every outcome reads 0 from the start)
_SUCCEEDED, _FAILED, _REFUNDED = (PAYMENTS.labels(o) for o in ("succeeded", "failed", "refunded"))

REVENUE = Counter(
    "ticketing_revenue_minor_units_total",
    "Money charged by succeeded payments, in the currency's minor units (refunds are not "
    "subtracted: see ticketing_refunded_minor_units_total).",
    ["currency"],
)
REFUNDED = Counter(
    "ticketing_refunded_minor_units_total",
    "Money given back by refunds of succeeded payments, in the currency's minor units.",
    ["currency"],
)


def count_charged(session: AsyncSession, *, amount: int, currency: str) -> None:
    count_on_commit(session, _SUCCEEDED)
    count_on_commit(session, REVENUE.labels(currency), amount)


def count_failed(session: AsyncSession) -> None:
    count_on_commit(session, _FAILED)


def count_refunded(session: AsyncSession, *, amount: int, currency: str) -> None:
    count_on_commit(session, _REFUNDED)
    count_on_commit(session, REFUNDED.labels(currency), amount)
