"""Ed25519 signing keys (JWT for auth, ticket codes for booking), made on first run."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.services import VAR_DIR

KEYS_DIR = VAR_DIR / "keys"
KEY_FILES = ("jwt_ed25519.pem", "ticket_ed25519.pem")


def write_key(path: Path) -> None:
    """Write a fresh Ed25519 private key (PKCS8 PEM) readable by the owner only."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def ensure_keys(keys_dir: Path = KEYS_DIR) -> list[Path]:
    """Create whichever key files are missing; return the ones created."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    created = []
    for name in KEY_FILES:
        path = keys_dir / name
        if not path.exists():
            write_key(path)
            created.append(path)
        path.chmod(0o600)
    return created
