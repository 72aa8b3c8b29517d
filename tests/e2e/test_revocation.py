"""Prompt revocation through the gateway (API.md, "Revocation is prompt"): once a session ends —
logout, an admin disabling the account or demoting it, a password change — its access token is
refused with 401 ``token_revoked`` by every service within 5 seconds, not when it expires."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from devstack.stack import RunningStack
from shared.testing.eventually import eventually
from tests.e2e.test_saga_support import (
    PASSWORD,
    Actor,
    addresses,
    client,
    event_body,
    login,
    promote_to_organizer,
    register,
)

pytestmark = pytest.mark.e2e

_addresses = addresses(62)

# One protected read per service, and auth's own.
EVERYWHERE = (
    "/api/auth/me",
    "/api/bookings",
    "/api/payments",
    "/api/notifications",
    "/api/events/mine",
)
REVOKED = (401, "token_revoked")


@pytest.fixture
async def actors(stack: RunningStack) -> AsyncIterator[Any]:
    """``make()`` → an Actor on its own loopback address (its own gateway rate-limit bucket)."""
    made: list[httpx2.AsyncClient] = []

    def make() -> Actor:
        http = client(stack.gateway_url, next(_addresses))
        made.append(http)
        return Actor(http)

    yield make
    for http in made:
        await http.aclose()


@pytest.fixture
async def admin(actors: Any, admin_credentials: tuple[str, str]) -> Actor:
    actor: Actor = actors()
    await login(actor, *admin_credentials)
    return actor


async def _pair(actor: Actor) -> dict[str, Any]:
    """Sign in again: a new session, its tokens."""
    response = await actor.http.post(
        "/api/auth/login", json={"email": actor.user["email"], "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


async def _answers(actors: Any, token: str) -> dict[str, tuple[int, str | None]]:
    """What each service answers this token, asked from a fresh address (polling five services
    from one address would soon meet the gateway's per-address burst)."""
    asking: Actor = actors()
    answers: dict[str, tuple[int, str | None]] = {}
    for path in EVERYWHERE:
        response = await asking.get(path, headers={"Authorization": f"Bearer {token}"})
        error = response.json().get("error") if response.status_code >= 400 else None
        answers[path] = (response.status_code, error)
    return answers


async def _refused_everywhere_within_5s(actors: Any, token: str, since: float) -> None:
    answers = await eventually(
        lambda: _answers(actors, token),
        until=lambda a: all(answer == REVOKED for answer in a.values()),
        timeout=5 - (time.monotonic() - since),
        what="token_revoked everywhere",
    )
    assert set(answers) == set(EVERYWHERE)


async def test_logout_refuses_the_access_token_everywhere_within_5s_when_signed_out(
    actors: Any, admin: Actor
) -> None:
    organizer = await register(actors(), "leaver")
    await promote_to_organizer(admin, organizer)
    pair = await _pair(organizer)
    token = pair["access_token"]
    before = await _answers(actors, token)
    assert before == dict.fromkeys(EVERYWHERE, (200, None))
    out = await organizer.http.post(
        "/api/auth/logout",
        json={"refresh_token": pair["refresh_token"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert out.status_code == 204
    await _refused_everywhere_within_5s(actors, token, time.monotonic())
    # only that session ended: the one opened when signing in after the promotion goes on
    assert (await organizer.get("/api/bookings")).status_code == 200


async def test_disabled_users_token_is_refused_everywhere_within_5s_when_an_admin_disables_them(
    actors: Any, admin: Actor
) -> None:
    customer = await register(actors(), "fraudster")
    before = await _answers(actors, customer.token)
    assert before["/api/bookings"] == (200, None)
    assert before["/api/events/mine"] == (403, "forbidden")  # a customer has no events
    disabled = await admin.call(
        "PATCH", f"/api/auth/admin/users/{customer.id}", json={"disabled": True}
    )
    assert disabled.status_code == 200, disabled.text
    await _refused_everywhere_within_5s(actors, customer.token, time.monotonic())


async def test_demoted_organizers_old_token_can_no_longer_manage_events_when_role_changes(
    actors: Any, admin: Actor
) -> None:
    organizer = await register(actors(), "demoted")
    await promote_to_organizer(admin, organizer)
    draft = await organizer.post("/api/events", json=event_body(rows=["A"]))
    assert draft.status_code == 201, draft.text
    event_id = draft.json()["id"]
    demoted = await admin.call(
        "PATCH", f"/api/auth/admin/users/{organizer.id}", json={"role": "customer"}
    )
    assert demoted.status_code == 200, demoted.text
    since = time.monotonic()

    async def manage() -> list[tuple[int, str | None]]:
        publish = await organizer.post(f"/api/events/{event_id}/publish")
        patch = await organizer.call(
            "PATCH", f"/api/events/{event_id}", json={"title": "Still mine?"}
        )
        return [(r.status_code, r.json().get("error")) for r in (publish, patch)]

    answers = await eventually(
        manage, until=lambda a: a == [REVOKED, REVOKED], timeout=5, what="manage refused"
    )
    assert answers == [REVOKED, REVOKED]
    await _refused_everywhere_within_5s(actors, organizer.token, since)
    # signing in again gives a customer's token
    await login(organizer, organizer.user["email"], PASSWORD)
    me = await organizer.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["role"] == "customer"


async def test_change_password_refuses_the_other_sessions_token_and_keeps_this_one_when_changed(
    actors: Any,
) -> None:
    person = await register(actors(), "careful")
    elsewhere = await _pair(person)
    changed = await person.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "an even better passphrase"},
    )
    assert changed.status_code == 204, changed.text
    await _refused_everywhere_within_5s(actors, elsewhere["access_token"], time.monotonic())
    # the session that changed the password goes on (its revocation would have arrived too)
    kept = await _answers(actors, person.token)
    assert kept["/api/auth/me"] == (200, None)
    assert kept["/api/bookings"] == kept["/api/payments"] == (200, None)
    assert kept["/api/notifications"] == (200, None)
    assert kept["/api/events/mine"] == (403, "forbidden")  # a customer, but not revoked


async def test_revoked_session_stays_refused_when_its_token_is_refreshed(actors: Any) -> None:
    """Ending a session ends its refresh tokens too: no new token with a revoked ``sid``."""
    person = await register(actors(), "refresher")
    pair = await _pair(person)
    out = await person.http.post(
        "/api/auth/logout",
        json={"refresh_token": pair["refresh_token"]},
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    )
    assert out.status_code == 204
    again = await person.http.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert again.status_code == 401 and again.json()["error"] == "unauthorized"
    fresh = await _pair(person)  # the account itself is fine: it may sign in again
    assert (await _answers(actors, fresh["access_token"]))["/api/bookings"] == (200, None)
