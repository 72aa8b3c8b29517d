"""Request validation of POST /api/payments, without echoing the card number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from payment_service.schemas import PaymentCreate, RefundCreate
from shared.errors import validation_details

BAD_NUMBER = "4242424242424241"


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "booking_id": str(uuid.uuid4()),
        "card_number": "4242 4242 4242 4242",
        "exp_month": 12,
        "exp_year": datetime.now(UTC).year + 2,
        "cvc": "123",
    }
    values.update(overrides)
    return values


def bad_fields(values: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate.model_validate(values)
    return {f["field"] for f in validation_details(caught.value.errors())["fields"]}


def test_valid_body_is_normalised_when_number_has_spaces() -> None:
    assert PaymentCreate.model_validate(body()).card_number == "4242424242424242"


def test_luhn_failure_is_reported_on_card_number_without_the_number_when_invalid() -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate.model_validate(body(card_number=BAD_NUMBER))
    details = validation_details(caught.value.errors())
    assert [f["field"] for f in details["fields"]] == ["card_number"]
    assert BAD_NUMBER not in str(details) and BAD_NUMBER not in str(caught.value)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"exp_month": 13}, "exp_month"),
        ({"exp_month": 0}, "exp_month"),
        ({"cvc": "12"}, "cvc"),
        ({"cvc": "12345"}, "cvc"),
        ({"cvc": "12a"}, "cvc"),
        ({"amount": 1}, "amount"),
    ],
)
def test_bad_field_is_named_when_invalid(override: dict[str, Any], field: str) -> None:
    assert bad_fields(body(**override)) == {field}


def test_expiry_in_a_past_month_is_refused_when_card_expired() -> None:
    now = datetime.now(UTC)
    last_month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    assert bad_fields(body(exp_year=last_month[0], exp_month=last_month[1])) == {"exp_year"}
    PaymentCreate.model_validate(body(exp_year=now.year, exp_month=now.month))


def test_repr_hides_card_number_and_cvc_when_logged() -> None:
    text = repr(PaymentCreate.model_validate(body(cvc="987")))
    assert "4242424242424242" not in text and "987" not in text


@pytest.mark.parametrize(
    "number",
    [
        "".join(chr(0x0660 + int(d)) for d in "4242424242424242"),  # Arabic-Indic
        "".join(chr(0x06F0 + int(d)) for d in "4242424242424242"),  # Extended Arabic-Indic
        "".join(chr(0xFF10 + int(d)) for d in "4242424242424242"),  # fullwidth
        "".join(chr(0xFF10 + int(d)) for d in "4000000000000002"),  # decline card, fullwidth
        "4242\u00a04242\u00a04242\u00a04242",  # no-break spaces are not typed separators
        "4242424242424242\x00",
    ],
)
def test_card_number_is_refused_without_echo_when_not_ascii_digits(number: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate.model_validate(body(card_number=number))
    details = validation_details(caught.value.errors())
    assert [f["field"] for f in details["fields"]] == ["card_number"]
    assert number not in str(details) and number not in str(caught.value)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"cvc": "١٢٣"}, "cvc"),
        ({"cvc": "１２３"}, "cvc"),
        ({"exp_month": "12"}, "exp_month"),
        ({"exp_month": "١٢"}, "exp_month"),
        ({"exp_month": 12.0}, "exp_month"),
        ({"exp_month": True}, "exp_month"),
        ({"exp_year": "2099"}, "exp_year"),
        ({"exp_year": "٢٠٩٩"}, "exp_year"),
        ({"exp_year": 2099.0}, "exp_year"),
    ],
)
def test_cvc_and_expiry_are_refused_when_not_plain_ascii_or_integers(
    override: dict[str, Any], field: str
) -> None:
    assert bad_fields(body(**override)) == {field}


def test_refund_reason_is_refused_when_it_holds_a_nul() -> None:
    with pytest.raises(ValidationError) as caught:
        RefundCreate.model_validate({"reason": "fraud\x00"})
    assert [f["field"] for f in validation_details(caught.value.errors())["fields"]] == ["reason"]


def test_refund_reason_keeps_line_breaks_when_multiline() -> None:
    assert RefundCreate.model_validate({"reason": "fraud\nsee ticket 12"}).reason.count("\n") == 1
