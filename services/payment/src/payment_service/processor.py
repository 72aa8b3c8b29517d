"""The card processor port and the simulated processor behind the API's test cards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from payment_service.domain import FailureReason, luhn_valid


@dataclass(frozen=True, slots=True)
class Card:
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
    async def charge(self, amount: int, currency: str, card: Card) -> ChargeResult: ...

    async def refund(self, payment_ref: str, amount: int) -> RefundResult: ...


DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"


class SimulatedProcessor:
    """API.md's test cards; any other Luhn-valid number succeeds."""

    async def charge(self, amount: int, currency: str, card: Card) -> ChargeResult:
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

    async def refund(self, payment_ref: str, amount: int) -> RefundResult:
        return RefundResult(True, reference=f"re_sim_{uuid.uuid4().hex}")
