"""PDF tickets: one page per ticket, the right words on each, a QR, any title survives."""

from __future__ import annotations

import io
import re
import uuid
import zlib
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from notification_service import pdf
from notification_service.ticket_pdf import TicketLine, TicketSheet, render_ticket_pdf


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


def _signed_code() -> str:
    """A code the size booking signs (~300 characters: QR version 13)."""
    payload = f'{{"k":"a1b2c3d4e5f6a7b8","t":"{uuid.uuid4()}","b":"{uuid.uuid4()}","s":"A-1"}}'
    return payload.encode().hex() + "." + "Zk9a" * 21 + "xY"


def test_long_signed_codes_decode_back_when_page_is_rasterized() -> None:
    sheet = _sheet(seats=("A-1", "A-2", None))
    lines = tuple(replace(t, code=_signed_code()) for t in sheet.tickets)
    sheet = replace(sheet, tickets=lines)
    assert all(len(t.code) > 280 for t in lines)
    assert _decoded_qr_codes(render_ticket_pdf(sheet)) == [[t.code] for t in lines]


def test_pdf_is_structurally_valid_when_opened_strictly() -> None:
    sheet = _sheet(seats=("A-B-7", None))
    content = render_ticket_pdf(sheet)
    assert content.startswith(b"%PDF-1.4\n") and content.endswith(b"%%EOF\n")
    reader = pypdf.PdfReader(io.BytesIO(content), strict=True)  # strict: a bad xref raises
    assert len(reader.pages) == 2
    assert reader.metadata is not None and reader.metadata.title == f"Tickets {sheet.booking_id}"
    for page in reader.pages:
        assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, 595.2756, 841.8898])
    document = pdfium.PdfDocument(content)
    try:
        assert len(document) == 2
        texts = [document[i].get_textpage().get_text_range() for i in range(2)]
    finally:
        document.close()
    assert "A-B-7" in texts[0] and "General admission" in texts[1]
    assert all(str(sheet.booking_id) in text for text in texts)


def test_xref_offsets_point_at_their_objects_when_rendered() -> None:
    content = render_ticket_pdf(_sheet(seats=("A-1", "A-2")))
    start = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = content[start:].split(b"trailer", 1)[0].split(b"\n")
    assert table[0] == b"xref" and table[1] == b"0 %d" % (len(table) - 3)
    for number, entry in enumerate(table[3:-1], start=1):
        assert len(entry) + 1 == 20  # each entry is 20 bytes with its end of line
        offset = int(entry[:10])
        assert content[offset:].startswith(b"%d 0 obj\n" % number)


def test_fonts_are_base14_without_embedding_when_rendered() -> None:
    content = render_ticket_pdf(_sheet())
    reader = pypdf.PdfReader(io.BytesIO(content))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    described = {str(fonts[name]["/BaseFont"]): fonts[name] for name in fonts}
    assert set(described) == {"/Helvetica", "/Helvetica-Bold"}
    for font in described.values():
        assert font["/Encoding"] == "/WinAnsiEncoding" and "/FontDescriptor" not in font
    assert b"/FontFile" not in content


def test_characters_outside_the_fonts_become_question_marks_when_rendered() -> None:
    (page,) = _pages(render_ticket_pdf(_sheet("Tokyo 東京 live")))
    assert "Tokyo ?? live" in page


def test_long_title_wraps_to_two_lines_and_is_cut_with_an_ellipsis_when_too_long() -> None:
    title = " ".join(["Symphony"] * 40)
    content = render_ticket_pdf(_sheet(title))
    streams = b"".join(
        zlib.decompress(m.group(1))
        for m in re.finditer(rb"stream\n(.*?)\nendstream", content, re.DOTALL)
    )
    shown = re.findall(rb"/F2 22 Tf [^(]*\((.*?)\) Tj", streams)
    assert len(shown) == 2
    assert shown[0].startswith(b"Symphony Symphony") and not shown[0].endswith(b"\x85")
    assert shown[1].endswith(b"\x85")  # WinAnsi's ellipsis
    width = pdf.base14("F2", "Helvetica-Bold").width
    assert all(width(line, 22) <= 595.2756 - 2 * 18 * 72 / 25.4 for line in shown)


def test_parentheses_and_backslashes_are_escaped_when_in_values() -> None:
    (page,) = _pages(render_ticket_pdf(_sheet("Jazz (live) \\ late")))
    assert "Jazz (live) \\ late" in page
