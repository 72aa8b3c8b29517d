"""Ticket codes: signed, verifiable offline, and refused when altered."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
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
        "k": signer.kid,
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


def _legacy_code(key: Ed25519PrivateKey, claims: TicketClaims) -> str:
    """A code as issued before key ids: the payload has no ``k``."""
    payload = claims.payload("")
    del payload["k"]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return f"{_b64(raw)}.{_b64(key.sign(raw))}"


def test_key_ring_verifies_codes_of_current_and_retired_keys_when_rotated() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ring = tickets.TicketKeyRing([new.public_key(), old.public_key()])
    old_claims, new_claims, legacy_claims = _claims(), _claims(), _claims(None)
    assert ring.verify(TicketSigner(old).sign(old_claims)) == old_claims
    assert ring.verify(TicketSigner(new).sign(new_claims)) == new_claims
    assert ring.verify(_legacy_code(old, legacy_claims)) == legacy_claims


def test_key_ring_refuses_code_when_its_key_is_unknown(signer: TicketSigner) -> None:
    ring = tickets.TicketKeyRing([Ed25519PrivateKey.generate().public_key()])
    with pytest.raises(InvalidTicketCode, match="unknown signing key"):
        ring.verify(signer.sign(_claims()))
    with pytest.raises(InvalidTicketCode):
        ring.verify(_legacy_code(Ed25519PrivateKey.generate(), _claims()))


def test_key_ring_refuses_code_when_kid_is_swapped_to_another_known_key(
    signer: TicketSigner,
) -> None:
    other = TicketSigner(Ed25519PrivateKey.generate())
    ring = tickets.TicketKeyRing([signer.public_key, other.public_key])
    payload_part, signature_part = signer.sign(_claims()).split(".")
    raw = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    raw["k"] = other.kid
    forged = f"{_b64(json.dumps(raw, separators=(',', ':')).encode())}.{signature_part}"
    with pytest.raises(InvalidTicketCode):
        ring.verify(forged)


def test_published_key_set_is_okp_ed25519_jwks_that_verifies_codes(signer: TicketSigner) -> None:
    ring = tickets.TicketKeyRing([signer.public_key])
    [jwk] = ring.jwks()["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    assert jwk["alg"] == "EdDSA" and jwk["use"] == "sig" and jwk["kid"] == signer.kid
    public = jwt.PyJWK.from_dict(jwk, algorithm="EdDSA").key  # what a gate would do offline
    claims = _claims()
    assert tickets.verify(signer.sign(claims), public) == claims


def test_retired_key_loads_from_private_or_public_pem(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "old.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "old.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    kid = tickets.key_id(key.public_key())
    assert tickets.key_id(tickets.load_public_key(private)) == kid
    assert tickets.key_id(tickets.load_public_key(public)) == kid
