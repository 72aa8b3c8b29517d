"""A card is ASCII digits and JSON integers: anything else is 422 and nothing is charged
(Arabic-Indic or fullwidth digits used to be charged, and dodged the decline test cards)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in digits)


def fullwidth(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


ARABIC_INDIC = arabic_indic("4242424242424242")
FULLWIDTH = fullwidth("4242424242424242")
DECLINED_FULLWIDTH = fullwidth("4000000000000002")  # was "charged": it dodged the decline


async def _payments_of(fetch: Any, booking_id: uuid.UUID) -> list[Any]:
    return await fetch("SELECT status FROM payment WHERE booking_id = :id", id=booking_id)


@pytest.mark.parametrize("number", [ARABIC_INDIC, FULLWIDTH, DECLINED_FULLWIDTH])
async def test_card_number_is_422_and_nothing_charged_when_written_in_non_ascii_digits(
    make_booking: Any, pay: Any, fetch: Any, processor: Any, number: str
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    charges = len(processor.charges)

    response = await pay(user, booking.booking_id, number)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["details"]["fields"]] == ["card_number"]
    assert number not in response.text
    assert len(processor.charges) == charges
    assert await _payments_of(fetch, booking.booking_id) == []
    # the booking is still payable with a real card
    assert (await pay(user, booking.booking_id)).json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"cvc": "١٢٣"}, "cvc"),
        ({"exp_month": "12"}, "exp_month"),
        ({"exp_month": 12.5}, "exp_month"),
        ({"exp_year": "2099"}, "exp_year"),
        ({"exp_year": True}, "exp_year"),
    ],
)
async def test_cvc_or_expiry_is_422_and_nothing_charged_when_not_ascii_integers(
    make_booking: Any, pay: Any, fetch: Any, processor: Any, extra: dict[str, Any], field: str
) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    charges = len(processor.charges)

    response = await pay(user, booking.booking_id, **extra)

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["details"]["fields"]] == [field]
    assert len(processor.charges) == charges
    assert await _payments_of(fetch, booking.booking_id) == []


async def test_nul_in_card_number_is_422_when_sent(make_booking: Any, pay: Any) -> None:
    user = uuid.uuid4()
    booking = await make_booking(user)
    response = await pay(user, booking.booking_id, "4242424242424242\x00")
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
