"""PDF tickets: one A4 page per ticket with a vector QR code of the signed ticket code.

Rendering is CPU work and runs in a worker thread (:func:`store_ticket_pdf`). The file is
written atomically (temporary file + ``os.replace``) as ``<storage>/<booking_id>.pdf``; when
it already exists with the recorded sha256 it is reused, never rendered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import itertools
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from notification_service.domain import clean_text, format_money, format_when, seat_label

# Bitstream Vera ships with reportlab: embedded, so every viewer shows the same glyphs.
FONT, FONT_BOLD = "TicketSans", "TicketSans-Bold"
_QR_SIZE = 62 * mm
_QR_QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
_MARGIN = 18 * mm


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


@dataclass(frozen=True, slots=True)
class StoredPdf:
    path: Path
    content: bytes
    sha256: str
    pages: int


@functools.cache
def _register_fonts() -> frozenset[int]:
    """Register the fonts once; returns the code points they can draw."""
    pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
    face = pdfmetrics.getFont(FONT).face
    return frozenset(face.charToGlyph)


def _drawable(value: str, *, limit: int = 300) -> str:
    """Arbitrary text reduced to what the font can draw (others become '?')."""
    glyphs = _register_fonts()
    return "".join(c if ord(c) in glyphs else "?" for c in clean_text(value, limit=limit))


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so that it fits ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, font: str, size: float, width: float, *, lines: int) -> list[str]:
    """Greedy word wrap into at most ``lines`` lines; the last one is cut to fit."""
    out: list[str] = []
    words = text.split(" ")
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
            continue
        out.append(current)
        current = word
        if len(out) == lines - 1:
            current = " ".join([word, *words[index + 1 :]])
            break
    out.append(current)
    return [_fit(line, font, size, width) for line in out[:lines]]


# Every mask pattern gives a valid QR code; searching for the best-scoring one (reportlab's
# make()) builds the matrix nine times and was half of a ticket page's rendering time. One
# fixed pattern keeps the code readable (decoded back in the tests) at a ninth of the cost.
_QR_MASK_PATTERN = 2


def _qr_modules(code: str) -> list[list[bool]]:
    """The QR matrix of ``code`` (error correction M, smallest version that fits)."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(code)
    qr.version = qr.calculate_version()
    qr.makeImpl(False, _QR_MASK_PATTERN)
    return [[bool(module) for module in row] for row in qr.modules]


def _draw_qr(canvas: Canvas, code: str, x: float, y: float) -> None:
    """The QR code as one filled vector path (runs of dark modules as rectangles), with the
    standard 4-module quiet zone, in a ``_QR_SIZE`` square whose lower-left corner is (x, y).

    Encoded once and drawn straight on the canvas: reportlab's QrCodeWidget encodes twice
    and builds a shape object per run, which made it most of the rendering time.
    """
    modules = _qr_modules(code)
    box = _QR_SIZE / (len(modules) + 2 * _QR_QUIET_ZONE)
    path = canvas.beginPath()
    for row_index, row in enumerate(modules):
        top = y + _QR_SIZE - (row_index + _QR_QUIET_ZONE + 1) * box
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                path.rect(x + (column + _QR_QUIET_ZONE) * box, top, length * box, box)
            column += length
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_row(
    canvas: Canvas, label: str, value: str, size: float, y: float, indent: float, width: float
) -> None:
    canvas.setFont(FONT, 9)
    canvas.setFillGray(0.4)
    canvas.drawString(_MARGIN, y, label.upper())
    canvas.setFillGray(0)
    font = FONT_BOLD if size > 10 else FONT
    canvas.setFont(font, size)
    canvas.drawString(_MARGIN + indent, y, _fit(_drawable(value), font, size, width))


def _draw_page(canvas: Canvas, sheet: TicketSheet, ticket: TicketLine, number: int) -> None:
    width, height = A4
    inner = width - 2 * _MARGIN
    canvas.setFillGray(0.15)
    canvas.rect(0, height - 28 * mm, width, 28 * mm, stroke=0, fill=1)
    canvas.setFillGray(1)
    canvas.setFont(FONT_BOLD, 20)
    canvas.drawString(_MARGIN, height - 18 * mm, "TICKET")
    canvas.setFont(FONT, 10)
    canvas.drawRightString(width - _MARGIN, height - 18 * mm, f"{number} of {len(sheet.tickets)}")

    canvas.setFillGray(0)
    y = height - 45 * mm
    canvas.setFont(FONT_BOLD, 22)
    for line in _wrap(_drawable(sheet.title), FONT_BOLD, 22, inner, lines=2):
        canvas.drawString(_MARGIN, y, line)
        y -= 9 * mm
    canvas.setFont(FONT, 13)
    canvas.drawString(_MARGIN, y, _fit(_drawable(format_when(sheet.starts_at)), FONT, 13, inner))
    y -= 7 * mm
    canvas.drawString(_MARGIN, y, _fit(_drawable(sheet.location), FONT, 13, inner))

    qr_x, qr_y = width - _MARGIN - _QR_SIZE, y - 12 * mm - _QR_SIZE
    _draw_qr(canvas, ticket.code, qr_x, qr_y)

    label_width = 30 * mm
    beside_qr = qr_x - _MARGIN - label_width - 6 * mm
    y -= 16 * mm
    for label, value, size in (
        ("Seat", seat_label(ticket.seat_id), 14),
        ("Tier", ticket.tier, 14),
        ("Price", format_money(ticket.price, sheet.currency), 14),
        ("Buyer", sheet.buyer_name, 10),
        ("Email", sheet.buyer_email, 10),
    ):
        _draw_row(canvas, label, value, size, y, label_width, beside_qr)
        y -= 10 * mm
    # Ids are long: below the QR code, across the whole width.
    y = min(y, qr_y - 8 * mm)
    for label, value in (("Booking", str(sheet.booking_id)), ("Ticket", str(ticket.ticket_id))):
        _draw_row(canvas, label, value, 10, y, label_width, inner - label_width)
        y -= 8 * mm

    canvas.setFont(FONT, 9)
    canvas.setFillGray(0.4)
    canvas.drawString(
        _MARGIN, 20 * mm, "Show this QR code at the entrance. Each code admits one person once."
    )


def render_ticket_pdf(sheet: TicketSheet) -> bytes:
    """The PDF bytes (blocking; deterministic for the same sheet)."""
    if not sheet.tickets:
        raise ValueError("a booking without tickets has nothing to print")
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"Tickets {sheet.booking_id}")
    canvas.setAuthor("Ticketing")
    for number, ticket in enumerate(sheet.tickets, start=1):
        _draw_page(canvas, sheet, ticket, number)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def pdf_path(storage_dir: Path, booking_id: uuid.UUID) -> Path:
    return storage_dir / f"{booking_id}.pdf"


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _reuse(path: Path, expected_sha256: str | None) -> bytes | None:
    if expected_sha256 is None:
        return None
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    return content if sha256_hex(content) == expected_sha256 else None


def _store(storage_dir: Path, sheet: TicketSheet, recorded_sha256: str | None) -> StoredPdf:
    path = pdf_path(storage_dir, sheet.booking_id)
    content = _reuse(path, recorded_sha256)
    if content is None:
        content = render_ticket_pdf(sheet)
        _write_atomically(path, content)
    return StoredPdf(
        path=path, content=content, sha256=sha256_hex(content), pages=len(sheet.tickets)
    )


async def store_ticket_pdf(
    storage_dir: Path, sheet: TicketSheet, *, recorded_sha256: str | None
) -> StoredPdf:
    """The booking's PDF on disk: reused when it matches ``recorded_sha256``, else rendered."""
    return await asyncio.to_thread(_store, storage_dir, sheet, recorded_sha256)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


async def remove_ticket_pdf(storage_dir: Path, booking_id: uuid.UUID, recorded: str | None) -> None:
    """Delete the booking's PDF (where it was recorded, and where it is rendered); idempotent."""
    paths = [pdf_path(storage_dir, booking_id)]
    if recorded is not None:
        paths.append(storage_dir / recorded)
    await asyncio.to_thread(_remove, paths)
