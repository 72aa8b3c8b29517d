"""A small PDF writer for one fixed layout: base-14 fonts, Flate streams and a correct xref.

Enough PDF for the ticket pages and nothing more. The fonts are two of the fourteen every
viewer has (Helvetica, Helvetica-Bold) with WinAnsiEncoding: nothing is embedded, text is one
byte per character, and a character the encoding lacks becomes ``?``. Glyph widths come from
reportlab's AFM metrics, read once, for fitting and wrapping text.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics

# Python's cp1252 is WinAnsiEncoding for every byte it encodes; the five bytes it leaves
# undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are never produced, so they never reach a page.
ENCODING = "cp1252"
# The fastest level: a ticket page's QR path shrinks to a quarter in under 0.1 ms (the
# default, 6, saves another 1 KB a page for 0.2 ms more).
_COMPRESSION = 1
_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_ESCAPES = {ord("\\"): b"\\\\", ord("("): b"\\(", ord(")"): b"\\)"}


@dataclass(frozen=True, slots=True)
class Font:
    """A base-14 font as a page resource (``/F1``) with its glyph widths in 1/1000 em."""

    resource: str
    base: str
    widths: tuple[int, ...]

    def width(self, data: bytes, size: float) -> float:
        """The width in points of WinAnsi-encoded ``data`` set at ``size``."""
        return sum(map(self.widths.__getitem__, data)) * size / 1000

    @property
    def dictionary(self) -> bytes:
        return (
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{self.base} /Encoding /WinAnsiEncoding >>"
        ).encode()


@functools.cache
def base14(resource: str, base: str) -> Font:
    """``base`` (e.g. ``Helvetica``) with the widths of reportlab's AFM metrics for WinAnsi."""
    font = pdfmetrics.getFont(base)
    if font.encoding.name != "WinAnsiEncoding":
        raise ValueError(f"{base}: metrics for {font.encoding.name}, not WinAnsiEncoding")
    return Font(resource=resource, base=base, widths=tuple(font.widths))


def encode(text: str) -> bytes:
    """``text`` in WinAnsiEncoding; a character it lacks becomes ``?``."""
    return text.encode(ENCODING, errors="replace")


def literal(data: bytes) -> bytes:
    """A PDF string literal ``(…)`` of encoded text."""
    if b"\\" in data or b"(" in data or b")" in data:
        data = b"".join(_ESCAPES.get(byte, bytes((byte,))) for byte in data)
    return b"(" + data + b")"


def text_literal(text: str) -> bytes:
    """The PDF string literal of a metadata text (``/Title``), WinAnsi like the pages."""
    return literal(encode(text))


def stream(content: bytes) -> bytes:
    """A Flate-compressed stream object's body."""
    packed = zlib.compress(content, _COMPRESSION)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)


class Document:
    """Objects numbered in the order they are added (or reserved and set later), written
    out with the catalog as root, an info dictionary and a cross-reference table."""

    def __init__(self) -> None:
        self._bodies: list[bytes | None] = []

    def reserve(self) -> int:
        """A number for an object whose body is set later (e.g. a page tree's kids)."""
        self._bodies.append(None)
        return len(self._bodies)

    def add(self, body: bytes) -> int:
        self._bodies.append(body)
        return len(self._bodies)

    def set(self, number: int, body: bytes) -> None:
        self._bodies[number - 1] = body

    def serialize(self, *, root: int, info: int) -> bytes:
        """The file: header, objects, xref, trailer (its ``/ID`` a hash of the objects, so
        the same document is always the same bytes)."""
        parts = [_HEADER]
        offsets = []
        position = len(_HEADER)
        for number, body in enumerate(self._bodies, start=1):
            if body is None:
                raise ValueError(f"object {number} was reserved but never set")
            chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
            offsets.append(position)
            parts.append(chunk)
            position += len(chunk)
        digest = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest().encode()
        parts.append(_xref(offsets))
        parts.append(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, root, info, digest, digest, position)
        )
        return b"".join(parts)


def _xref(offsets: Sequence[int]) -> bytes:
    """The cross-reference table: entries of exactly 20 bytes, object 0 free."""
    entries = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return b"xref\n0 %d\n0000000000 65535 f \n%s" % (len(offsets) + 1, entries)
