"""The card-processor port: what payment asks of any processor, and the answers it gets.

Every call carries an idempotency key chosen by payment (the payment id for a charge, the
refund id for a refund): a processor (or a real provider's API) that sees the same key again
must answer the first result and move no money a second time. That is what makes a
redelivered message, a retried request or a crash between the call and its record safe.

An adapter raises :class:`~payment_service.domain.ProcessorUnavailable` when the provider did
not answer (timeout, connection refused, its own 5xx). Payment records such a charge as a
retryable ``processing_error``; anything else an adapter raises is treated as a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Card:
    """A card as typed by the buyer; it lives only for the charge (repr hides number and cvc)."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ChargeResult:
    succeeded: bool
    reference: str | None = None
    failure_reason: str | None = None
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class RefundResult:
    succeeded: bool
    reference: str | None = None
    failure_reason: str | None = None


class PaymentProcessor(Protocol):
    """A card processor. Implementations live in ``payment_service.processor.<name>``."""

    async def charge(
        self, amount: int, currency: str, card: Card, *, idempotency_key: str
    ) -> ChargeResult:
        """Take ``amount`` (minor units) once per ``idempotency_key``."""
        ...

    async def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult:
        """Give a charge's money back, once per ``idempotency_key`` and once per charge."""
        ...
