"""The attendee list's cells: the CSV-injection rule, quoting, timestamps."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from booking_service import attendee_csv


@dataclass
class _Row:
    id: uuid.UUID
    booking_id: uuid.UUID
    seat_id: str | None
    tier: str
    price: int
    currency: str
    buyer_name: str
    user_email: str
    checked_in_at: datetime | None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada = Lovelace", "Ada = Lovelace"),  # only the first character counts
        (" =1", " =1"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_cell_is_prefixed_with_a_quote_only_when_it_starts_like_a_formula(
    value: str, cell: str
) -> None:
    assert attendee_csv.safe_cell(value) == cell


def test_rows_are_quoted_as_rfc_4180_when_cells_hold_commas_quotes_or_line_breaks() -> None:
    encoded = attendee_csv.encode([["a,b", 'say "hi"', "two\nlines", "=x"], ["plain"]])

    assert encoded == b'"a,b","say ""hi""","two\nlines",\'=x\r\nplain\r\n'
    assert list(csv.reader(io.StringIO(encoded.decode(), newline=""))) == [
        ["a,b", 'say "hi"', "two\nlines", "'=x"],
        ["plain"],
    ]


def test_header_is_the_contract_columns_when_encoded() -> None:
    assert attendee_csv.header() == (
        b"ticket_id,booking_id,seat_id,tier,price,currency,buyer_name,buyer_email,status,"
        b"checked_in_at\r\n"
    )


def test_cells_say_checked_in_with_its_utc_time_when_the_ticket_was_used() -> None:
    ticket, booking = uuid.uuid4(), uuid.uuid4()
    plus_two = timezone(timedelta(hours=2))
    used = _Row(ticket, booking, "A-1", "vip", 8000, "EUR", "Ada", "a@b.test", None)

    assert attendee_csv.cells(used) == [
        *(str(ticket), str(booking), "A-1", "vip", "8000", "EUR", "Ada", "a@b.test"),
        *("valid", ""),
    ]
    used.seat_id, used.checked_in_at = None, datetime(2026, 5, 1, 20, 0, 5, 120, tzinfo=plus_two)
    assert attendee_csv.cells(used)[2] == ""
    assert attendee_csv.cells(used)[-2:] == ["checked_in", "2026-05-01T18:00:05.000120Z"]
    used.checked_in_at = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
    assert attendee_csv.cells(used)[-1] == "2026-05-01T18:00:00Z"
