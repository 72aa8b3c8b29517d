"""Ticket codes: ``base64url(json payload).base64url(Ed25519 signature)``, verifiable offline.

The payload is ``{"t": ticket_id, "b": booking_id, "e": event_id, "s": seat_id}`` (``s`` is null
for general admission). The signature covers the exact payload bytes that were encoded.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class InvalidTicketCode(ValueError):
    """The code is malformed, altered or signed with another key."""


@dataclass(frozen=True, slots=True)
class TicketClaims:
    ticket_id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    seat_id: str | None

    def payload(self) -> dict[str, str | None]:
        return {
            "t": str(self.ticket_id),
            "b": str(self.booking_id),
            "e": str(self.event_id),
            "s": self.seat_id,
        }


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise InvalidTicketCode("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidTicketCode("not base64url") from exc


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class TicketSigner:
    """Signs ticket codes with booking's private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, claims: TicketClaims) -> str:
        payload = json.dumps(claims.payload(), separators=(",", ":")).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._key.sign(payload))}"


def verify(code: str, public_key: Ed25519PublicKey) -> TicketClaims:
    """The claims of a genuine code; :class:`InvalidTicketCode` for anything else."""
    parts = code.split(".")
    if len(parts) != 2:
        raise InvalidTicketCode("a ticket code has two parts")
    payload, signature = (_b64decode(part) for part in parts)
    try:
        public_key.verify(signature, payload)
    except InvalidSignature as exc:
        raise InvalidTicketCode("bad signature") from exc
    try:
        raw = json.loads(payload)
        seat = raw["s"]
        if seat is not None and not isinstance(seat, str):
            raise TypeError("seat id must be a string or null")
        return TicketClaims(
            ticket_id=uuid.UUID(raw["t"]),
            booking_id=uuid.UUID(raw["b"]),
            event_id=uuid.UUID(raw["e"]),
            seat_id=seat,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidTicketCode("unreadable payload") from exc


def load_private_key(path: Path, *, create_if_missing: bool) -> Ed25519PrivateKey:
    """Read the PKCS8 PEM key at ``path``; in dev/test write a fresh one there if it is missing."""
    if not path.is_file():
        if not create_if_missing:
            raise FileNotFoundError(f"ticket signing key not found at {path}")
        _write_new_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _write_new_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
