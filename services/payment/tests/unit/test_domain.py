"""Pure payment rules."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment_service import domain
from payment_service.domain import BookingStatus, PaymentStatus


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424242",
        "4000000000000002",
        "4000000000009995",
        "4000000000000119",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
    ],
)
def test_luhn_accepts_valid_number_when_checksum_holds(number: str) -> None:
    assert domain.luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["4242424242424241", "1234567890123456", "42424242424242a2", "", "4242", "0" * 20]
)
def test_luhn_rejects_number_when_checksum_or_shape_is_wrong(number: str) -> None:
    assert not domain.luhn_valid(number)


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_luhn_accepts_exactly_one_check_digit_when_appended(body: str) -> None:
    valid = [d for d in "0123456789" if domain.luhn_valid(body + d)]
    assert len(valid) == 1


def test_normalize_drops_spaces_and_dashes_when_typed_in_groups() -> None:
    assert domain.normalize_card_number("4242 4242-4242 4242") == "4242424242424242"


def test_last_four_and_mask_keep_only_the_last_four_digits_when_shown() -> None:
    number = "4000000000009995"
    assert domain.last_four(number) == "9995"
    masked = domain.mask(number)
    assert masked.endswith("9995") and "400000" not in masked


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("9999999999999995", "unknown"),
    ],
)
def test_card_brand_comes_from_the_prefix_when_known(number: str, brand: str) -> None:
    assert domain.card_brand(number) == brand


@pytest.mark.parametrize(
    ("month", "year", "expired"),
    [(5, 2026, False), (4, 2026, True), (12, 2025, True), (1, 2027, False)],
)
def test_card_expired_compares_month_precision_when_checked(
    month: int, year: int, expired: bool
) -> None:
    assert domain.card_expired(month, year, today=date(2026, 5, 31)) is expired


def test_payable_only_when_pending_and_nothing_paid() -> None:
    assert domain.payable(booking_status=BookingStatus.PENDING_PAYMENT, has_live_payment=False)
    assert not domain.payable(booking_status=BookingStatus.PENDING_PAYMENT, has_live_payment=True)
    assert not domain.payable(booking_status=BookingStatus.CANCELLED, has_live_payment=False)


def test_refundable_only_when_succeeded() -> None:
    assert [s for s in PaymentStatus if domain.refundable(s)] == [PaymentStatus.SUCCEEDED]


def arabic_indic(digits: str) -> str:
    return "".join(chr(0x0660 + int(d)) for d in digits)


def fullwidth(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


@pytest.mark.parametrize(
    "number",
    [
        arabic_indic("4242424242424242"),
        fullwidth("4242424242424242"),
        fullwidth("4000000000000002"),  # the decline test card
        arabic_indic("4000000000009995"),  # the insufficient-funds test card
        fullwidth("4") + "242424242424242",
    ],
)
def test_luhn_rejects_number_when_written_in_non_ascii_digits(number: str) -> None:
    assert number.isdigit()  # what the old check relied on
    assert not domain.luhn_valid(number)


def test_payable_is_false_when_the_copy_expired() -> None:
    assert not domain.payable(booking_status=BookingStatus.EXPIRED, has_live_payment=False)
