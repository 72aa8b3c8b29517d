"""HTTP shapes of the payment API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator

from payment_service.domain import card_expired, luhn_valid, normalize_card_number
from shared.types import Input, MultiLine, SingleLine


class PaymentCreate(Input):
    """The card travels only in this request; we keep its last four digits.

    Validation messages never quote the input (the card number must not echo back). Card
    number and cvc are ASCII digits only, and the expiry fields JSON integers (no "12", no
    12.0, no true): a card is typed, never coerced.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    booking_id: uuid.UUID
    card_number: Annotated[SingleLine, Field(min_length=1, max_length=32, repr=False)]
    exp_month: Annotated[StrictInt, Field(ge=1, le=12)]
    exp_year: Annotated[StrictInt, Field(ge=2000, le=2100)]
    cvc: Annotated[SingleLine, Field(pattern=r"^[0-9]{3,4}$", repr=False)]

    @field_validator("card_number")
    @classmethod
    def _luhn(cls, value: str) -> str:
        number = normalize_card_number(value)
        if not luhn_valid(number):
            raise ValueError("The card number is not valid.")
        return number

    @field_validator("exp_year")
    @classmethod
    def _not_expired(cls, value: int, info: ValidationInfo) -> int:
        month = info.data.get("exp_month")
        if month is not None and card_expired(month, value, today=datetime.now(UTC).date()):
            raise ValueError("The card has expired.")
        return value


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    amount: int
    currency: str
    failure_reason: str | None = None
    retryable: bool = False
    card_last4: str
    card_brand: str
    created_at: datetime
    updated_at: datetime


class RefundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: uuid.UUID
    amount: int
    currency: str
    reason: str
    created_at: datetime


class RefundCreate(Input):
    """An admin's refund; the reason is free text (line breaks allowed, control characters not)."""

    reason: Annotated[MultiLine, Field(min_length=1, max_length=500)] = "requested_by_admin"
