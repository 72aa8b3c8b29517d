"""Ticket codes: ``base64url(json payload).base64url(Ed25519 signature)``, verifiable offline.

The payload is ``{"k": kid, "t": ticket_id, "b": booking_id, "e": event_id, "s": seat_id}``
(``s`` is null for general admission). The signature covers the exact payload bytes that were
encoded. ``k`` names the signing key in the published key set
(``GET /api/bookings/.well-known/ticket-keys``); a code without ``k`` (issued before keys had ids)
is checked against every known key. Rotation: sign with a new key and keep the old ones in the
key ring (``TICKET_RETIRED_KEY_PATHS``) so every code already issued still verifies.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import keys


class InvalidTicketCode(ValueError):
    """The code is malformed, altered or signed with another key."""


@dataclass(frozen=True, slots=True)
class TicketClaims:
    ticket_id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    seat_id: str | None

    def payload(self, kid: str) -> dict[str, str | None]:
        return {
            "k": kid,
            "t": str(self.ticket_id),
            "b": str(self.booking_id),
            "e": str(self.event_id),
            "s": self.seat_id,
        }


_b64encode = keys.b64url_encode


def _b64decode(text: str) -> bytes:
    try:
        return keys.b64url_decode(text)
    except ValueError as exc:
        raise InvalidTicketCode("not base64url") from exc


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable id: the start of the key's RFC 7638 JWK thumbprint."""
    return keys.thumbprint(keys.public_jwk(key))[:16]


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    return {**keys.public_jwk(key), "kid": key_id(key), "alg": "EdDSA", "use": "sig"}


class TicketSigner:
    """Signs ticket codes with booking's current private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.kid = key_id(private_key.public_key())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, claims: TicketClaims) -> str:
        payload = json.dumps(claims.payload(self.kid), separators=(",", ":")).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._key.sign(payload))}"


class TicketKeyRing:
    """Every public key whose codes are still honoured: the current one first, then retired."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for key in keys:
            self._keys.setdefault(key_id(key), key)

    def jwks(self) -> dict[str, Any]:
        """The published key set (JWKS of OKP/Ed25519 keys)."""
        return {"keys": [public_jwk(key) for key in self._keys.values()]}

    def verify(self, code: str) -> TicketClaims:
        """The claims of a code signed by any key in the ring; :class:`InvalidTicketCode` else."""
        payload, _signature = _split(code)
        kid = _kid_of(payload)
        if kid is not None:
            key = self._keys.get(kid)
            if key is None:
                raise InvalidTicketCode("unknown signing key")
            return verify(code, key)
        for key in self._keys.values():  # a code from before key ids
            try:
                return verify(code, key)
            except InvalidTicketCode:
                continue
        raise InvalidTicketCode("bad signature")


def _split(code: str) -> tuple[bytes, bytes]:
    parts = code.split(".")
    if len(parts) != 2:
        raise InvalidTicketCode("a ticket code has two parts")
    return _b64decode(parts[0]), _b64decode(parts[1])


def _kid_of(payload: bytes) -> str | None:
    """The unverified ``k`` of a payload, only to pick the key to verify with."""
    try:
        raw = json.loads(payload)
    except ValueError as exc:
        raise InvalidTicketCode("unreadable payload") from exc
    kid = raw.get("k") if isinstance(raw, dict) else None
    if kid is not None and not isinstance(kid, str):
        raise InvalidTicketCode("unreadable payload")
    return kid


def verify(code: str, public_key: Ed25519PublicKey) -> TicketClaims:
    """The claims of a genuine code; :class:`InvalidTicketCode` for anything else."""
    payload, signature = _split(code)
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


load_public_key = keys.load_public_key


def load_private_key(path: Path, *, create_if_missing: bool) -> Ed25519PrivateKey:
    """Read the PKCS8 PEM key at ``path``; in dev/test write a fresh one there if it is missing."""
    return keys.load_private_key(path, create=create_if_missing)
