"""Pure rules: money, times, seats and text as people see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notification_service.domain import (
    GENERAL_ADMISSION,
    Addressee,
    clean_text,
    display_name,
    format_money,
    format_when,
    seat_label,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (8000, "USD", "80.00 USD"),
        (5, "usd", "0.05 USD"),
        (0, "EUR", "0.00 EUR"),
        (123456789, "GBP", "1,234,567.89 GBP"),
        (1500, "JPY", "1,500 JPY"),
        (12345, "KWD", "12.345 KWD"),
        (-250, "USD", "-2.50 USD"),
    ],
)
def test_money_shows_major_units_with_currency_when_formatted(
    amount: int, currency: str, expected: str
) -> None:
    assert format_money(amount, currency) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_money_round_trips_to_minor_units_when_two_decimals(amount: int) -> None:
    text, currency = format_money(amount, "USD").split(" ")
    assert currency == "USD"
    assert int(text.replace(",", "").replace(".", "")) == amount


def test_time_keeps_the_events_offset_when_formatted() -> None:
    moment = datetime(2025, 7, 12, 19, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_when(moment) == "Sat 12 Jul 2025, 19:30 (UTC+02:00)"
    assert format_when(datetime(2025, 1, 1, 9, 5, tzinfo=UTC)).endswith("09:05 (UTC)")
    west = datetime(2025, 1, 1, 9, 5, tzinfo=timezone(-timedelta(hours=3, minutes=30)))
    assert format_when(west).endswith("(UTC-03:30)")


def test_seat_says_general_admission_when_none() -> None:
    assert seat_label(None) == GENERAL_ADMISSION
    assert seat_label("A-B-7") == "A-B-7"


def test_clean_text_removes_controls_and_line_breaks_when_text_is_hostile() -> None:
    assert clean_text("Rock\r\nBcc: evil@x\x00\u200b  show\t") == "Rock Bcc: evil@x show"
    assert clean_text(None) == ""
    long = clean_text("x" * 50, limit=10)
    assert len(long) == 10 and long.endswith("…")


@given(st.text())
def test_clean_text_never_leaves_line_breaks_when_given_any_text(value: str) -> None:
    cleaned = clean_text(value)
    assert "\n" not in cleaned and "\r" not in cleaned
    assert len(cleaned) <= 500


def test_display_name_falls_back_to_email_when_name_unknown() -> None:
    assert display_name(None, "a@example.test") == "a@example.test"
    assert display_name("  Ada \n Lovelace ", "a@example.test") == "Ada Lovelace"


def test_addressee_greets_by_clean_name_or_address_when_name_is_hostile_or_unknown() -> None:
    hostile = Addressee("ada@example.test", "Ada\r\nBcc: eve@example.test")
    assert hostile.name == hostile.greeting == "Ada Bcc: eve@example.test"
    unknown = Addressee("ada@example.test")
    assert (unknown.name, unknown.greeting) == ("", "ada@example.test")
