"""Ticket codes: signed, verifiable offline, and refused when altered."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking_service import tickets
from booking_service.tickets import InvalidTicketCode, TicketClaims, TicketSigner


def _claims(seat: str | None = "A-B-7") -> TicketClaims:
    return TicketClaims(
        ticket_id=uuid.uuid4(), booking_id=uuid.uuid4(), event_id=uuid.uuid4(), seat_id=seat
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def signer() -> TicketSigner:
    return TicketSigner(Ed25519PrivateKey.generate())


@pytest.mark.parametrize("seat", ["A-B-7", None])
def test_code_verifies_to_its_claims_when_untouched(signer: TicketSigner, seat: str | None) -> None:
    claims = _claims(seat)
    code = signer.sign(claims)
    assert tickets.verify(code, signer.public_key) == claims


def test_code_is_compact_payload_dot_signature_with_short_keys(signer: TicketSigner) -> None:
    claims = _claims()
    payload_part, signature_part = signer.sign(claims).split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    assert payload == {
        "t": str(claims.ticket_id),
        "b": str(claims.booking_id),
        "e": str(claims.event_id),
        "s": "A-B-7",
    }
    assert "=" not in payload_part + signature_part
    assert len(base64.urlsafe_b64decode(signature_part + "==")) == 64


def test_code_is_refused_when_payload_is_altered(signer: TicketSigner) -> None:
    code = signer.sign(_claims())
    payload_part, signature_part = code.split(".")
    raw = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    raw["s"] = "A-A-1"
    forged = f"{_b64(json.dumps(raw, separators=(',', ':')).encode())}.{signature_part}"
    with pytest.raises(InvalidTicketCode):
        tickets.verify(forged, signer.public_key)


def test_code_is_refused_when_signature_is_altered(signer: TicketSigner) -> None:
    payload_part, signature_part = signer.sign(_claims()).split(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature_part + "=="))
    flipped[0] ^= 1
    with pytest.raises(InvalidTicketCode):
        tickets.verify(f"{payload_part}.{_b64(bytes(flipped))}", signer.public_key)


def test_code_is_refused_when_signed_by_another_key(signer: TicketSigner) -> None:
    other = TicketSigner(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidTicketCode):
        tickets.verify(other.sign(_claims()), signer.public_key)


@pytest.mark.parametrize("code", ["", "abc", "a.b.c", "!!!.###", "e30.", ".e30"])
def test_code_is_refused_when_malformed(signer: TicketSigner, code: str) -> None:
    with pytest.raises(InvalidTicketCode):
        tickets.verify(code, signer.public_key)


def test_signed_garbage_payload_is_refused_when_not_ticket_claims(signer: TicketSigner) -> None:
    key = Ed25519PrivateKey.generate()
    payload = b'{"t":"not-a-uuid","b":1}'
    code = f"{_b64(payload)}.{_b64(key.sign(payload))}"
    with pytest.raises(InvalidTicketCode):
        tickets.verify(code, key.public_key())


def test_key_is_generated_once_when_missing_in_dev(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ticket.pem"
    first = tickets.load_private_key(path, create_if_missing=True)
    second = tickets.load_private_key(path, create_if_missing=True)
    assert path.stat().st_mode & 0o777 == 0o600
    message = b"same key"
    second.public_key().verify(first.sign(message), message)


def test_missing_key_is_an_error_when_generation_not_allowed(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        tickets.load_private_key(tmp_path / "absent.pem", create_if_missing=False)
