"""The QR encoder: its tables are the standard's (reportlab's copy), and every version's
symbol decodes back (zxing-cpp) to the exact text at error correction M."""

from __future__ import annotations

import random
import string

import pytest
import zxingcpp
from PIL import Image
from reportlab.graphics.barcode import qrencoder

from notification_service import qr


def _decoded(text: str) -> list[tuple[str, str, str]]:
    modules, width = qr.modules(text)
    assert len(modules) == width * width and set(modules) <= {0, 1}
    pixels = bytes(255 - 255 * module for module in modules)
    image = Image.frombytes("L", (width, width), pixels).resize((width * 4, width * 4))
    return [
        (found.text, found.ec_level, str((found.extra or {}).get("Version")))
        for found in zxingcpp.read_barcodes(image)
        if found.format == zxingcpp.BarcodeFormat.QRCode and found.valid
    ]


@pytest.mark.parametrize("version", range(1, 41))
def test_tables_are_the_standards_when_compared_with_reportlabs(version: int) -> None:
    row = qrencoder.QRRSBlock.RS_BLOCK_TABLE[(version - 1) * 4 + 1]  # L, M, Q, H: M
    groups = [row[i : i + 3] for i in range(0, len(row), 3)]
    assert qr._BLOCKS[version] == sum(count for count, _total, _data in groups)
    assert {total - data for _count, total, data in groups} == {qr._EC_PER_BLOCK[version]}
    assert qr.data_codewords(version) == sum(count * data for count, _total, data in groups)
    assert qr._alignment_positions(version) == qrencoder.QRUtil.PATTERN_POSITION_TABLE[version - 1]


@pytest.mark.parametrize("version", range(1, 41))
def test_fullest_symbol_of_each_version_decodes_back_when_rasterized(version: int) -> None:
    # the longest text that fits this version: mode (4 bits) and count, then the bytes
    length = (8 * qr.data_codewords(version) - 4 - (8 if version <= 9 else 16)) // 8
    alphabet = string.ascii_letters + string.digits + "-_."
    text = "".join(random.Random(version).choice(alphabet) for _ in range(length))
    assert _decoded(text) == [(text, "M", str(version))]
    if version < 40:  # one byte more needs the next version
        assert _decoded(text + "x")[0][2] == str(version + 1)


def test_non_ascii_text_decodes_back_when_encoded_as_utf8() -> None:
    assert _decoded("Zürich — 東京 🎉")[0][:2] == ("Zürich — 東京 🎉", "M")


def test_text_too_long_for_any_version_is_refused_when_encoded() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        qr.modules("x" * (qr.data_codewords(40) + 1))
