"""The simulated processor behind API.md's test cards (dev, tests, load tests).

It keeps its charges and refunds in memory and enforces the port's idempotency rules: the
same key answers the first result again, and a charge is refunded at most once. Charges it
does not know (made before a restart) are refunded without question.
"""

from __future__ import annotations

import uuid

from payment_service.domain import FailureReason, luhn_valid
from payment_service.processor.base import Card, ChargeResult, RefundResult

DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"

ALREADY_REFUNDED = "already_refunded"
AMOUNT_EXCEEDS_CHARGE = "amount_exceeds_charge"


class SimulatedProcessor:
    """API.md's test cards; any other Luhn-valid number succeeds."""

    name = "simulated"

    def __init__(self) -> None:
        self.charges: dict[str, ChargeResult] = {}  # by idempotency key
        self.charged: dict[str, int] = {}  # charge reference → amount
        self.refunds: dict[str, RefundResult] = {}  # by idempotency key
        self.refunded: dict[str, str] = {}  # charge reference → the refund's idempotency key

    async def charge(
        self, amount: int, currency: str, card: Card, *, idempotency_key: str
    ) -> ChargeResult:
        if (earlier := self.charges.get(idempotency_key)) is not None:
            return earlier
        result = self._decide(card)
        if result.succeeded and result.reference is not None:
            self.charged[result.reference] = amount
        self.charges[idempotency_key] = result
        return result

    async def refund(self, charge_ref: str, amount: int, *, idempotency_key: str) -> RefundResult:
        # No await below: check and record happen atomically on the event loop.
        if (earlier := self.refunds.get(idempotency_key)) is not None:
            return earlier
        if charge_ref in self.refunded:
            return RefundResult(False, failure_reason=ALREADY_REFUNDED)
        charged = self.charged.get(charge_ref)
        if charged is not None and amount > charged:
            return RefundResult(False, failure_reason=AMOUNT_EXCEEDS_CHARGE)
        result = RefundResult(True, reference=f"re_sim_{uuid.uuid4().hex}")
        self.refunds[idempotency_key] = result
        self.refunded[charge_ref] = idempotency_key
        return result

    def refund_count(self, charge_ref: str) -> int:
        """How many times money went back for a charge (0 or 1)."""
        return int(charge_ref in self.refunded)

    @staticmethod
    def _decide(card: Card) -> ChargeResult:
        if not luhn_valid(card.number):
            return ChargeResult(False, failure_reason=FailureReason.INVALID_NUMBER)
        if card.number == DECLINED:
            return ChargeResult(False, failure_reason=FailureReason.CARD_DECLINED)
        if card.number == INSUFFICIENT_FUNDS:
            return ChargeResult(False, failure_reason=FailureReason.INSUFFICIENT_FUNDS)
        if card.number == PROCESSING_ERROR:
            return ChargeResult(
                False, failure_reason=FailureReason.PROCESSING_ERROR, retryable=True
            )
        return ChargeResult(True, reference=f"ch_sim_{uuid.uuid4().hex}")
