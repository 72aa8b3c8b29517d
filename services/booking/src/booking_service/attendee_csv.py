"""The attendee list's CSV: its columns, its cells, and the rule that keeps spreadsheets from
running them as formulas. Pure: rows in, bytes out (``service.attendees`` streams them).

CSV injection (OWASP, "CSV Injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is prefixed with ``'``, so Excel, LibreOffice and Google Sheets show it
as text instead of evaluating it. Buyers choose their own names, so a name like
``=HYPERLINK(…)`` must reach the organizer's spreadsheet as text. The rule applies to every
cell (ids, prices and timestamps never start that way). Quoting of commas, double quotes and
line breaks is the ``csv`` module's (RFC 4180, ``\\r\\n`` line ends).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

COLUMNS = (
    "ticket_id",
    "booking_id",
    "seat_id",
    "tier",
    "price",
    "currency",
    "buyer_name",
    "buyer_email",
    "status",
    "checked_in_at",
)
MEDIA_TYPE = "text/csv"  # Starlette adds "; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AttendeeRow(Protocol):
    """A row of ``repository.attendees_of_event``."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def booking_id(self) -> uuid.UUID: ...
    @property
    def seat_id(self) -> str | None: ...
    @property
    def tier(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def buyer_name(self) -> str: ...
    @property
    def user_email(self) -> str: ...
    @property
    def checked_in_at(self) -> datetime | None: ...


def filename(event_id: uuid.UUID) -> str:
    return f"attendees-{event_id}.csv"


def safe_cell(value: str) -> str:
    """``value`` as text a spreadsheet will not evaluate (see the module doc)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def timestamp(value: datetime | None) -> str:
    """ISO 8601 in UTC as the JSON answers write it (``Z``, microseconds only when there are
    any); "" for none."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def cells(row: AttendeeRow) -> list[str]:
    """One ticket's cells, in ``COLUMNS`` order: price in minor units (as the JSON answers),
    status ``checked_in`` once the ticket was used at the gate, else ``valid``."""
    return [
        str(row.id),
        str(row.booking_id),
        row.seat_id or "",
        row.tier,
        str(row.price),
        row.currency,
        row.buyer_name,
        row.user_email,
        "valid" if row.checked_in_at is None else "checked_in",
        timestamp(row.checked_in_at),
    ]


def encode(rows: Iterable[Iterable[str]]) -> bytes:
    """CSV lines (UTF-8) of already formatted rows, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode()


def header() -> bytes:
    return encode([COLUMNS])
