"""Demo data, created through the gateway like any client would."""

from __future__ import annotations

import logging
import os

import httpx2

from devstack.config import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

log = logging.getLogger(__name__)


def admin_token(client: httpx2.Client, email: str, password: str) -> str | None:
    """Log in as the admin; None (with a warning) when that fails."""
    try:
        response = client.post("/api/auth/login", json={"email": email, "password": password})
    except httpx2.HTTPError as exc:
        log.warning("demo data: admin login failed: %s", exc)
        return None
    if response.status_code != 200:
        log.warning(
            "demo data: admin login answered %s: %s", response.status_code, response.text[:200]
        )
        return None
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str):
        log.warning("demo data: the login answer carries no access_token")
        return None
    return token


def seed_demo(
    gateway_url: str, *, admin_email: str | None = None, admin_password: str | None = None
) -> bool:
    """Seed a demo organizer and events (idempotent); False when it could not.

    Credentials default to ADMIN_EMAIL / ADMIN_PASSWORD (else the dev values). For now this
    only proves the admin can sign in; the demo catalogue comes later.
    """
    admin_email = admin_email or os.environ.get("ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    admin_password = admin_password or os.environ.get("ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)
    with httpx2.Client(base_url=gateway_url, timeout=10.0, trust_env=False) as client:
        token = admin_token(client, admin_email, admin_password)
        if token is None:
            return False
        log.info("demo data: signed in as %s", admin_email)
        return True
