"""QR codes (ISO/IEC 18004, model 2) of byte-mode data at error correction level M.

A ticket page draws one, and encoding it was the largest part of rendering one (zxing-cpp
0.65 ms, reportlab 5 ms for a 300-character ticket code). Here one fixed mask is used — every
mask gives a valid code, only the choice among them is left to the encoder — and everything
that depends on the version alone is computed once: the function patterns, where each data
bit goes, and the mask. Encoding is then the bit stream, Reed–Solomon (one table look-up and
one XOR on a Python int per byte), and one C-level gather of the modules. The tables follow
the standard (checked against reportlab's, and decoded back with zxing-cpp, in the tests).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

QUIET_ZONE = 4  # light modules around the symbol
MASK = 2  # modules where column % 3 == 0 are inverted
_FORMAT_M = 0b00  # error correction level M in the format information

# Per version 1-40 at level M (index 0 unused): error correction codewords per block, blocks.
_EC_PER_BLOCK = (0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26,
                 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
                 28)  # fmt: skip
_BLOCKS = (0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20,
           21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49)  # fmt: skip


def _gf_tables() -> tuple[list[int], list[int]]:
    """Powers of 2 and logarithms in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1."""
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    return exp, log


_EXP, _LOG = _gf_tables()


def _gf_multiply(x: int, y: int) -> int:
    return 0 if x == 0 or y == 0 else _EXP[_LOG[x] + _LOG[y]]


@functools.cache
def _remainder_table(degree: int) -> tuple[int, ...]:
    """For each factor, the generator polynomial of ``degree`` times it, as one big-endian
    int: a division step is then a shift and one XOR."""
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = _gf_multiply(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = _gf_multiply(root, 0x02)
    return tuple(
        int.from_bytes(bytes(_gf_multiply(c, factor) for c in divisor), "big")
        for factor in range(256)
    )


def _error_correction(data: bytes, degree: int) -> bytes:
    table = _remainder_table(degree)
    shift, keep = 8 * (degree - 1), (1 << 8 * degree) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(degree, "big")


def _raw_data_modules(version: int) -> int:
    """Modules left for data and error correction once the function patterns are drawn."""
    result = (16 * version + 128) * version + 64
    if version >= 2:
        aligns = version // 7 + 2
        result -= (25 * aligns - 10) * aligns - 55
        if version >= 7:
            result -= 36
    return result


def data_codewords(version: int) -> int:
    return _raw_data_modules(version) // 8 - _EC_PER_BLOCK[version] * _BLOCKS[version]


def _count_bits(version: int) -> int:
    return 8 if version <= 9 else 16


def _version_for(length: int) -> int:
    for version in range(1, 41):
        if 4 + _count_bits(version) + 8 * length <= 8 * data_codewords(version):
            return version
    raise ValueError(f"{length} bytes do not fit in a QR code at level M")


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    aligns = version // 7 + 2
    step = (version * 8 + aligns * 3 + 5) // (aligns * 4 - 4) * 2
    size = version * 4 + 17
    return [6, *sorted(size - 7 - i * step for i in range(aligns - 1))]


def _bch(data: int, bits: int, generator: int) -> int:
    remainder = data
    for _ in range(bits):
        remainder = (remainder << 1) ^ ((remainder >> (bits - 1)) * generator)
    return data << bits | remainder


@dataclass(frozen=True, slots=True)
class _Layout:
    """Everything about a version's symbol that does not depend on the data."""

    width: int  # with the quiet zone
    source: tuple[int, ...]  # per module (quiet zone included): a data bit's index, or a constant
    mask: int  # one byte per module, 1 where the mask inverts it, as one big-endian int
    bits: int  # data bits the symbol holds


def _function_modules(size: int, version: int) -> dict[tuple[int, int], bool]:
    """(x, y) → dark, for every module of the function patterns (format and version info
    included)."""
    modules: dict[tuple[int, int], bool] = {}
    for i in range(size):
        modules[(6, i)] = modules[(i, 6)] = i % 2 == 0  # timing
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):  # finders and their separators
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                if 0 <= cx + dx < size and 0 <= cy + dy < size:
                    modules[(cx + dx, cy + dy)] = max(abs(dx), abs(dy)) not in (2, 4)
    positions = _alignment_positions(version)
    last = len(positions) - 1
    for i, cx in enumerate(positions):
        for j, cy in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue  # where the finders are
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    modules[(cx + dx, cy + dy)] = max(abs(dx), abs(dy)) != 1
    _format_modules(modules, size)
    if version >= 7:
        info = _bch(version, 12, 0x1F25)
        for i in range(18):
            a, b = size - 11 + i % 3, i // 3
            modules[(a, b)] = modules[(b, a)] = bool(info >> i & 1)
    return modules


def _format_modules(modules: dict[tuple[int, int], bool], size: int) -> None:
    info = _bch(_FORMAT_M << 3 | MASK, 10, 0x537) ^ 0x5412
    bit = [bool(info >> i & 1) for i in range(15)]
    for i in range(6):
        modules[(8, i)] = bit[i]
    modules[(8, 7)], modules[(8, 8)], modules[(7, 8)] = bit[6], bit[7], bit[8]
    for i in range(9, 15):
        modules[(14 - i, 8)] = bit[i]
    for i in range(8):
        modules[(size - 1 - i, 8)] = bit[i]
    for i in range(8, 15):
        modules[(8, size - 15 + i)] = bit[i]
    modules[(8, size - 8)] = True  # the dark module


@functools.cache
def _layout(version: int) -> _Layout:
    size = version * 4 + 17
    function = _function_modules(size, version)
    order: dict[tuple[int, int], int] = {}  # data module → index of its bit
    right = size - 1
    while right >= 1:  # two-module columns, right to left, snaking up and down
        if right == 6:
            right = 5  # the vertical timing pattern
        for vertical in range(size):
            for x in (right, right - 1):
                upward = (right + 1) & 2 == 0
                y = size - 1 - vertical if upward else vertical
                if (x, y) not in function:
                    order[(x, y)] = len(order)
        right -= 2
    bits = _raw_data_modules(version) // 8 * 8
    light, dark = bits, bits + 1  # the two constants after the data bits
    width = size + 2 * QUIET_ZONE
    source, mask = [], bytearray()
    for y in range(-QUIET_ZONE, size + QUIET_ZONE):
        for x in range(-QUIET_ZONE, size + QUIET_ZONE):
            inverted = False
            if (x, y) in function:
                source.append(dark if function[(x, y)] else light)
            elif (x, y) in order:
                index = order[(x, y)]
                source.append(index if index < bits else light)  # remainder bits: light
                inverted = x % 3 == 0
            else:
                source.append(light)  # quiet zone
            mask.append(inverted)
    mask_int = int.from_bytes(mask, "big")
    return _Layout(width=width, source=tuple(source), mask=mask_int, bits=bits)


_BYTE_BITS = [bytes(b >> (7 - k) & 1 for k in range(8)) for b in range(256)]


def _codewords(data: bytes, version: int) -> bytes:
    """Data (byte mode, padded) split into blocks, error correction added, interleaved."""
    capacity = data_codewords(version)
    count_bits = _count_bits(version)
    stream = (0b0100 << count_bits | len(data)) << 8 * len(data) | int.from_bytes(data, "big")
    used = 4 + count_bits + 8 * len(data)
    pad = min(4, 8 * capacity - used)  # the terminator, then up to a byte boundary
    pad += -(used + pad) % 8
    stream <<= pad
    body = stream.to_bytes((used + pad) // 8, "big")
    body += (b"\xec\x11" * capacity)[: capacity - len(body)]
    blocks, ec = _BLOCKS[version], _EC_PER_BLOCK[version]
    short = _raw_data_modules(version) // 8 // blocks - ec  # data codewords of a short block
    longs = capacity - short * blocks  # the last ones have one more
    pieces, start = [], 0
    for index in range(blocks):
        length = short + (index >= blocks - longs)
        pieces.append(body[start : start + length])
        start += length
    out = bytearray()
    for i in range(short + 1):
        out.extend(piece[i] for piece in pieces if i < len(piece))
    remainders = [_error_correction(piece, ec) for piece in pieces]
    for i in range(ec):
        out.extend(remainder[i] for remainder in remainders)
    return bytes(out)


def modules(text: str) -> tuple[bytes, int]:
    """The symbol of ``text`` (UTF-8, byte mode, level M) with its quiet zone: one byte per
    module, row after row, 1 dark and 0 light; and the width of a row."""
    data = text.encode()
    version = _version_for(len(data))
    layout = _layout(version)
    bits = b"".join(map(_BYTE_BITS.__getitem__, _codewords(data, version)))
    bits += b"\x00" * (layout.bits - len(bits)) + b"\x00\x01"
    unmasked = bytes(operator.itemgetter(*layout.source)(bits))
    size = len(unmasked)
    masked = int.from_bytes(unmasked, "big") ^ layout.mask
    return masked.to_bytes(size, "big"), layout.width


def warm_up(text: str) -> None:
    """Compute the tables of the version ``text`` needs now rather than on the first ticket."""
    modules(text)
