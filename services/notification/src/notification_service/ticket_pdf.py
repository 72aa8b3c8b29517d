"""PDF tickets: one A4 page per ticket with a vector QR code of the signed ticket code.

One fixed layout, written by :mod:`.pdf`: what every page shares (fonts, the header bar, the
labels, the footer) is one content stream built once per process and referenced by every
page; each page adds a small stream of its own — the texts and the QR code as a path of
filled rectangles, one per run of dark modules, in a module grid scaled with ``cm``. The title
always has room for two lines, so nothing below it moves. Rendering is deterministic: the
same sheet gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from notification_service import pdf, qr
from notification_service.domain import clean_text, format_money, format_when, seat_label

_MM = 72 / 25.4
_WIDTH, _HEIGHT = 210 * _MM, 297 * _MM  # A4
_MARGIN = 18 * _MM
_INNER = _WIDTH - 2 * _MARGIN
_QR_SIZE = 62 * _MM
_LABEL_WIDTH = 30 * _MM

REGULAR = pdf.base14("F1", "Helvetica")
BOLD = pdf.base14("F2", "Helvetica-Bold")

# Where things go (points from the bottom left). The title gets two lines whether it needs
# them or not: every other position is then fixed.
_HEADER_Y = _HEIGHT - 18 * _MM
_TITLE_Y = (_HEIGHT - 45 * _MM, _HEIGHT - 54 * _MM)
_WHEN_Y = _HEIGHT - 63 * _MM
_WHERE_Y = _HEIGHT - 70 * _MM
_QR_X, _QR_TOP = _WIDTH - _MARGIN - _QR_SIZE, _WHERE_Y - 12 * _MM
_BESIDE_QR = _QR_X - _MARGIN - _LABEL_WIDTH - 6 * _MM  # width of a value left of the QR
# label, y, font and size of its value, the value's width; the ids are long: below the QR
_ROWS = (
    ("Seat", _WHERE_Y - 16 * _MM, BOLD, 14, _BESIDE_QR),
    ("Tier", _WHERE_Y - 26 * _MM, BOLD, 14, _BESIDE_QR),
    ("Price", _WHERE_Y - 36 * _MM, BOLD, 14, _BESIDE_QR),
    ("Buyer", _WHERE_Y - 46 * _MM, REGULAR, 10, _BESIDE_QR),
    ("Email", _WHERE_Y - 56 * _MM, REGULAR, 10, _BESIDE_QR),
    ("Booking", _QR_TOP - _QR_SIZE - 8 * _MM, REGULAR, 10, _INNER - _LABEL_WIDTH),
    ("Ticket", _QR_TOP - _QR_SIZE - 16 * _MM, REGULAR, 10, _INNER - _LABEL_WIDTH),
)
_FOOTER = "Show this QR code at the entrance. Each code admits one person once."
_ELLIPSIS = pdf.encode("…")


@dataclass(frozen=True, slots=True)
class TicketLine:
    ticket_id: uuid.UUID
    seat_id: str | None
    tier: str
    price: int
    code: str


@dataclass(frozen=True, slots=True)
class TicketSheet:
    """Everything printed on a booking's tickets."""

    booking_id: uuid.UUID
    title: str
    starts_at: datetime
    location: str
    buyer_name: str
    buyer_email: str
    currency: str
    tickets: tuple[TicketLine, ...]


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _drawable(value: str, *, limit: int = 300) -> bytes:
    """Arbitrary text as one clean line in the fonts' encoding (what it lacks becomes '?')."""
    return pdf.encode(clean_text(value, limit=limit))


def _fit(data: bytes, font: pdf.Font, size: float, width: float) -> bytes:
    """``data`` cut with an ellipsis so that it fits ``width`` points."""
    if font.width(data, size) <= width:
        return data
    room = (width - font.width(_ELLIPSIS, size)) * 1000 / size  # in 1/1000 em
    used = 0
    for end, byte in enumerate(data):
        used += font.widths[byte]
        if used > room:
            return data[:end].rstrip() + _ELLIPSIS
    return data  # not reached: the whole of it is wider than the room


def _wrap(data: bytes, font: pdf.Font, size: float, width: float, *, lines: int) -> list[bytes]:
    """Greedy word wrap into at most ``lines`` lines; the last one is cut to fit."""
    out: list[bytes] = []
    words = data.split(b" ")
    current = b""
    for index, word in enumerate(words):
        candidate = b"%s %s" % (current, word) if current else word
        if not current or font.width(candidate, size) <= width:
            current = candidate
            continue
        out.append(current)
        current = word
        if len(out) == lines - 1:
            current = b" ".join([word, *words[index + 1 :]])
            break
    out.append(current)
    return [_fit(line, font, size, width) for line in out[:lines]]


def _show(font: pdf.Font, size: float, x: float, y: float, data: bytes) -> bytes:
    """Text operators (inside ``BT … ET``) drawing ``data`` at (x, y)."""
    return b"/%s %g Tf 1 0 0 1 %.2f %.2f Tm %s Tj\n" % (
        font.resource.encode(),
        size,
        x,
        y,
        pdf.literal(data),
    )


@functools.cache
def _static_page() -> bytes:
    """What every page draws the same: the header bar, the labels, the footer (one stream)."""
    text = [
        b"BT 1 g\n",
        _show(BOLD, 20, _MARGIN, _HEADER_Y, b"TICKET"),
        b"0.4 g\n",
        *(_show(REGULAR, 9, _MARGIN, y, pdf.encode(label.upper())) for label, y, *_ in _ROWS),
        _show(REGULAR, 9, _MARGIN, 20 * _MM, pdf.encode(_FOOTER)),
        b"ET\n",
    ]
    bar = b"0.15 g 0 %.2f %.2f %.2f re f\n" % (_HEIGHT - 28 * _MM, _WIDTH, 28 * _MM)
    return b"q\n" + bar + b"".join(text) + b"Q\n"


_DARK_RUN = re.compile(rb"\x01+")


@functools.cache
def _grid_words(width: int) -> tuple[list[bytes], list[bytes]]:
    """``"column row "`` for every module of a ``width``-wide grid, and ``"n 1 re"`` for
    every run length: each rectangle is two look-ups, no number formatting."""
    starts = [b"%d %d " % (index % width, index // width) for index in range(width * width)]
    lengths = [b"%d 1 re\n" % length for length in range(width + 1)]
    return starts, lengths


def _qr_path(code: str) -> bytes:
    """The QR code (error correction M) as one filled path: each run of dark modules a
    rectangle in a grid of one unit per module, scaled and flipped onto the page by ``cm``.

    The modules come with the quiet zone, one byte each: a run never wraps into the next row.
    """
    modules, width = qr.modules(code)
    starts, lengths = _grid_words(width)
    path = []
    for run in _DARK_RUN.finditer(modules):
        begin, end = run.span()
        path.append(starts[begin])
        path.append(lengths[end - begin])
    box = _QR_SIZE / width
    place = b"q 0 g %.4f 0 0 %.4f %.2f %.2f cm\n" % (box, -box, _QR_X, _QR_TOP)
    return place + b"".join(path) + b"f Q\n"


def _page(sheet: TicketSheet, ticket: TicketLine, number: int, title: list[bytes]) -> bytes:
    """The page's own content stream: its texts and its QR code."""
    counter = b"%d of %d" % (number, len(sheet.tickets))
    values = (
        seat_label(ticket.seat_id),
        ticket.tier,
        format_money(ticket.price, sheet.currency),
        sheet.buyer_name,
        sheet.buyer_email,
        str(sheet.booking_id),
        str(ticket.ticket_id),
    )
    text = [
        b"BT 1 g\n",
        _show(REGULAR, 10, _WIDTH - _MARGIN - REGULAR.width(counter, 10), _HEADER_Y, counter),
        b"0 g\n",
        *(_show(BOLD, 22, _MARGIN, y, line) for line, y in zip(title, _TITLE_Y, strict=False)),
        _show(REGULAR, 13, _MARGIN, _WHEN_Y, _fit_line(format_when(sheet.starts_at), 13)),
        _show(REGULAR, 13, _MARGIN, _WHERE_Y, _fit_line(sheet.location, 13)),
    ]
    for (_label, y, font, size, width), value in zip(_ROWS, values, strict=True):
        fitted = _fit(_drawable(value), font, size, width)
        text.append(_show(font, size, _MARGIN + _LABEL_WIDTH, y, fitted))
    text.append(b"ET\n")
    return b"".join(text) + _qr_path(ticket.code)


def _fit_line(value: str, size: float) -> bytes:
    return _fit(_drawable(value), REGULAR, size, _INNER)


@functools.cache
def _shared_objects() -> tuple[bytes, bytes, bytes, bytes]:
    """The bodies every document has: the two fonts, the static page stream, a page's
    resources and media box (with ``%d`` for the page tree and its contents)."""
    fonts = f"/Font << /{REGULAR.resource} 3 0 R /{BOLD.resource} 4 0 R >>"
    page = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_WIDTH:.4f} {_HEIGHT:.4f}] "
        f"/Resources << {fonts} /ProcSet [/PDF /Text] >> /Contents [5 0 R %d 0 R] >>"
    )
    return REGULAR.dictionary, BOLD.dictionary, pdf.stream(_static_page()), page.encode()


def render_ticket_pdf(sheet: TicketSheet) -> bytes:
    """The PDF bytes (blocking; deterministic for the same sheet)."""
    if not sheet.tickets:
        raise ValueError("a booking without tickets has nothing to print")
    regular, bold, static, page = _shared_objects()
    title = _wrap(_drawable(sheet.title), BOLD, 22, _INNER, lines=2)
    document = pdf.Document()
    # numbered as the shared page template expects: 1 catalog, 2 pages, 3-4 fonts, 5 static
    catalog = document.add(b"<< /Type /Catalog /Pages 2 0 R >>")
    pages = document.reserve()
    for body in (regular, bold, static):
        document.add(body)
    info = document.add(
        b"<< /Title %s /Author (Ticketing) /Producer (Ticketing) >>"
        % pdf.text_literal(f"Tickets {sheet.booking_id}")
    )
    kids = []
    for number, ticket in enumerate(sheet.tickets, start=1):
        content = document.add(pdf.stream(_page(sheet, ticket, number, title)))
        kids.append(document.add(page % content))
    references = b" ".join(b"%d 0 R" % kid for kid in kids)
    document.set(pages, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (references, len(kids)))
    return document.serialize(root=catalog, info=info)
