"""Webhook signatures, Stripe-style: ``Ticketing-Signature: t=<unix seconds>,v1=<hex>`` where
the hex is HMAC-SHA256 under the webhook's secret of ``"<t>.<raw body>"``. A receiver recomputes
it over the bytes it received, compares in constant time, and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Ticketing-Signature"
DELIVERY_HEADER = "Ticketing-Delivery-Id"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (used by the tests; the README shows the same in a few lines)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
