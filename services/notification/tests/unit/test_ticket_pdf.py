"""PDF tickets: one page per ticket, the right words on each, a QR, any title survives."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from notification_service.ticket_pdf import (
    TicketLine,
    TicketSheet,
    render_ticket_pdf,
    sha256_hex,
    store_ticket_pdf,
)


def _sheet(title: str = "Jazz Night", seats: tuple[str | None, ...] = ("A-B-7",)) -> TicketSheet:
    return TicketSheet(
        booking_id=uuid.uuid4(),
        title=title,
        starts_at=datetime(2025, 7, 12, 19, 30, tzinfo=UTC),
        location="Blue Hall, Main Street 1",
        buyer_name="Ada Lovelace",
        buyer_email="ada@example.test",
        currency="USD",
        tickets=tuple(
            TicketLine(
                ticket_id=uuid.uuid4(),
                seat_id=seat,
                tier="vip" if seat else "floor",
                price=8000,
                code=f"eyJ0IjoieCJ9.{uuid.uuid4().hex}",
            )
            for seat in seats
        ),
    )


def _pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def test_reserved_seat_page_shows_everything_when_rendered() -> None:
    sheet = _sheet()
    (page,) = _pages(render_ticket_pdf(sheet))
    for expected in (
        "Jazz Night",
        "Blue Hall",
        "19:30",
        "A-B-7",
        "vip",
        "80.00 USD",
        "Ada Lovelace",
        "ada@example.test",
        str(sheet.booking_id),
        str(sheet.tickets[0].ticket_id),
    ):
        assert expected in page, expected


def test_general_admission_pages_say_so_one_per_ticket_when_rendered() -> None:
    sheet = _sheet(seats=(None, None, None))
    pages = _pages(render_ticket_pdf(sheet))
    assert len(pages) == 3
    assert all("General admission" in page for page in pages)
    assert [str(t.ticket_id) in page for t, page in zip(sheet.tickets, pages, strict=True)] == [
        True
    ] * 3


def test_qr_is_drawn_as_vector_paths_when_rendered() -> None:
    content = render_ticket_pdf(_sheet())
    stream = pypdf.PdfReader(io.BytesIO(content)).pages[0].get_contents()
    assert stream is not None
    # A QR code of a ~45 character code is hundreds of filled module rectangles.
    assert stream.get_data().count(b" re") > 200


@pytest.mark.parametrize(
    "title",
    [
        "Ünïcødé Fest — Zürich",
        "東京 ライブ 🎉 \u200b\u202e<script>alert(1)</script>",
        "Line\nbreak\r\nand\ttabs\x00",
        "W" * 400,
        "",
    ],
)
def test_odd_titles_render_without_error_when_arbitrary(title: str) -> None:
    pages = _pages(render_ticket_pdf(_sheet(title)))
    assert len(pages) == 1
    assert "\x00" not in pages[0]


def test_latin_title_is_readable_when_it_has_accents() -> None:
    (page,) = _pages(render_ticket_pdf(_sheet("Ünïcødé Fest — Zürich")))
    assert "Ünïcødé Fest — Zürich" in page


def test_rendering_is_deterministic_when_sheet_is_the_same() -> None:
    sheet = _sheet()
    assert render_ticket_pdf(sheet) == render_ticket_pdf(sheet)


def test_no_tickets_is_refused_when_rendering() -> None:
    with pytest.raises(ValueError):
        render_ticket_pdf(_sheet(seats=()))


async def test_stored_pdf_is_reused_when_hash_matches(tmp_path: Path) -> None:
    sheet = _sheet()
    first = await store_ticket_pdf(tmp_path, sheet, recorded_sha256=None)
    assert first.path == tmp_path / f"{sheet.booking_id}.pdf"
    assert sha256_hex(first.path.read_bytes()) == first.sha256 and first.pages == 1
    mtime = first.path.stat().st_mtime_ns
    again = await store_ticket_pdf(tmp_path, sheet, recorded_sha256=first.sha256)
    assert again.sha256 == first.sha256 and first.path.stat().st_mtime_ns == mtime
    assert await asyncio.to_thread(os.listdir, tmp_path) == [first.path.name]  # no temp left


async def test_stored_pdf_is_rendered_again_when_file_is_corrupt(tmp_path: Path) -> None:
    sheet = _sheet()
    first = await store_ticket_pdf(tmp_path, sheet, recorded_sha256=None)
    first.path.write_bytes(b"garbage")
    again = await store_ticket_pdf(tmp_path, sheet, recorded_sha256=first.sha256)
    assert again.content.startswith(b"%PDF") and first.path.read_bytes() == again.content


def _decoded_qr_codes(content: bytes) -> list[list[str]]:
    """Each page rasterized (pdfium) and its QR codes decoded (zxing-cpp), page by page."""
    document = pdfium.PdfDocument(content)
    try:
        pages = []
        for index in range(len(document)):
            image = document[index].render(scale=2).to_pil()
            found = zxingcpp.read_barcodes(image)
            pages.append(
                [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode and b.valid]
            )
        return pages
    finally:
        document.close()


def test_qr_decodes_back_to_the_exact_ticket_code_when_page_is_rasterized() -> None:
    # Codes as booking signs them: a base64url payload, an Ed25519 signature and a key id.
    codes = [
        "eyJ0IjoiOWYzYzEyZDAtNWE3Ni00YjI0LWE1ZTgtM2QwYjFhNmM3ZjQyIiwiYiI6IjEyMyJ9."
        + "A" * 43
        + "-_"
        + "Zk9" * 14
        + ".k2025-01",
        f"eyJ0Ijoi{uuid.uuid4().hex}In0.{uuid.uuid4().hex}{uuid.uuid4().hex}.kid-2",
    ]
    sheet = _sheet(seats=("A-B-7", None))
    lines = tuple(replace(t, code=c) for t, c in zip(sheet.tickets, codes, strict=True))
    sheet = replace(sheet, tickets=lines)
    assert _decoded_qr_codes(render_ticket_pdf(sheet)) == [[codes[0]], [codes[1]]]
