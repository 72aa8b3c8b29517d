"""Demo data, created through the gateway like any client would."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

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


DEMO_ORGANIZER = ("organizer@demo.ticketing.local", "demo-organizer-password", "Demo Organizer")


def _demo_events() -> list[dict[str, Any]]:
    starts = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=45)
    return [
        {
            "title": "Demo: Symphony in the Round",
            "description": "An evening of reserved seating: VIP stalls and a standard balcony.",
            "location": "Grand Hall, Addis Ababa",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "currency": "USD",
            "max_tickets_per_order": 6,
            "max_tickets_per_buyer": 10,
            "tiers": [
                {"code": "vip", "name": "VIP", "price": 8000},
                {"code": "standard", "name": "Standard", "price": 2500},
            ],
            "seating": [
                {"section": "A", "tier": "vip", "rows": ["A", "B"], "seats_per_row": 10},
                {"section": "B", "tier": "standard", "rows": ["C", "D", "E"], "seats_per_row": 20},
            ],
        },
        {
            "title": "Demo: Open-Air Festival",
            "description": "General admission on the lawn, plus a few reserved VIP seats.",
            "location": "Meskel Square",
            "starts_at": (starts + timedelta(days=7)).isoformat(),
            "ends_at": (starts + timedelta(days=7, hours=8)).isoformat(),
            "currency": "USD",
            "max_tickets_per_order": 8,
            "max_tickets_per_buyer": 8,
            "tiers": [
                {"code": "vip", "name": "VIP", "price": 12000},
                {"code": "lawn", "name": "Lawn (standing)", "price": 3000, "capacity": 500},
            ],
            "seating": [{"section": "V", "tier": "vip", "rows": ["A"], "seats_per_row": 12}],
        },
    ]


def _organizer_token(client: httpx2.Client, admin: str) -> str | None:
    email, password, name = DEMO_ORGANIZER
    registered = client.post(
        "/api/auth/register", json={"email": email, "password": password, "full_name": name}
    )
    if registered.status_code not in (201, 409):
        log.warning("demo data: registering the organizer answered %s", registered.status_code)
        return None
    token = admin_token(client, email, password)
    if token is None:
        return None
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    if me.get("role") != "organizer":
        promoted = client.patch(
            f"/api/auth/admin/users/{me['id']}",
            json={"role": "organizer"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        if promoted.status_code != 200:
            log.warning("demo data: promoting the organizer answered %s", promoted.status_code)
            return None
        token = admin_token(client, email, password)
    return token


def seed_demo(
    gateway_url: str, *, admin_email: str | None = None, admin_password: str | None = None
) -> bool:
    """Seed a demo organizer and two published events (idempotent); False when it could not.

    Credentials default to ADMIN_EMAIL / ADMIN_PASSWORD (else the dev values).
    """
    admin_email = admin_email or os.environ.get("ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    admin_password = admin_password or os.environ.get("ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)
    with httpx2.Client(base_url=gateway_url, timeout=10.0, trust_env=False) as client:
        admin = admin_token(client, admin_email, admin_password)
        if admin is None:
            return False
        token = _organizer_token(client, admin)
        if token is None:
            return False
        auth = {"Authorization": f"Bearer {token}"}
        mine = client.get("/api/events/mine", headers=auth, params={"page_size": 100})
        existing = {e["title"] for e in mine.json().get("items", [])} if mine.is_success else set()
        for body in _demo_events():
            if body["title"] in existing:
                continue
            created = client.post("/api/events", json=body, headers=auth)
            if created.status_code != 201:
                log.warning(
                    "demo data: creating %r answered %s", body["title"], created.status_code
                )
                return False
            client.post(f"/api/events/{created.json()['id']}/publish", headers=auth)
        log.info("demo data: organizer %s with %d demo events", DEMO_ORGANIZER[0], 2)
        return True
