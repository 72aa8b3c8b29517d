"""Prompt revocation through the gateway (API.md, "Revocation is prompt"): once a session ends —
logout, an admin disabling the account or demoting it, a password change — its access token is
refused with 401 ``token_revoked`` by every service within 5 seconds, not when it expires."""

from __future__ import annotations

import time

import pytest

from shared.testing.eventually import eventually
from tests.e2e.api_client import (
    PASSWORD,
    Actor,
    Cast,
    bearer,
    create_event,
    event_body,
    login,
    logout,
    new_session,
    update_user,
)

pytestmark = pytest.mark.e2e

# One protected read per service, and auth's own.
EVERYWHERE = (
    "/api/auth/me",
    "/api/bookings",
    "/api/payments",
    "/api/notifications",
    "/api/events/mine",
)
REVOKED = (401, "token_revoked")


async def _answers(cast: Cast, token: str) -> dict[str, tuple[int, str | None]]:
    """What each service answers this token, asked from a fresh address (polling five services
    from one address would soon meet the gateway's per-address burst)."""
    asking = cast.actor()
    answers: dict[str, tuple[int, str | None]] = {}
    for path in EVERYWHERE:
        response = await asking.get(path, headers=bearer(token))
        error = response.json().get("error") if response.status_code >= 400 else None
        answers[path] = (response.status_code, error)
    return answers


async def _refused_everywhere_within_5s(cast: Cast, token: str, since: float) -> None:
    answers = await eventually(
        lambda: _answers(cast, token),
        until=lambda a: all(answer == REVOKED for answer in a.values()),
        timeout=5 - (time.monotonic() - since),
        what="token_revoked everywhere",
    )
    assert set(answers) == set(EVERYWHERE)


async def test_logout_refuses_the_access_token_everywhere_within_5s_when_signed_out(
    cast: Cast, admin: Actor
) -> None:
    organizer = await cast.organizer(admin, "leaver")
    pair = await new_session(organizer)
    token = pair["access_token"]
    before = await _answers(cast, token)
    assert before == dict.fromkeys(EVERYWHERE, (200, None))
    await logout(organizer, pair)
    await _refused_everywhere_within_5s(cast, token, time.monotonic())
    # only that session ended: the one opened when signing in after the promotion goes on
    assert (await organizer.get("/api/bookings")).status_code == 200


async def test_disabled_users_token_is_refused_everywhere_within_5s_when_an_admin_disables_them(
    cast: Cast, admin: Actor
) -> None:
    customer = await cast.person("fraudster")
    before = await _answers(cast, customer.token)
    assert before["/api/bookings"] == (200, None)
    assert before["/api/events/mine"] == (403, "forbidden")  # a customer has no events
    await update_user(admin, customer, disabled=True)
    await _refused_everywhere_within_5s(cast, customer.token, time.monotonic())


async def test_demoted_organizers_old_token_can_no_longer_manage_events_when_role_changes(
    cast: Cast, admin: Actor
) -> None:
    organizer = await cast.organizer(admin, "demoted")
    event_id = (await create_event(organizer, event_body(rows=["A"])))["id"]
    await update_user(admin, organizer, role="customer")
    since = time.monotonic()

    async def manage() -> list[tuple[int, str | None]]:
        publish = await organizer.post(f"/api/events/{event_id}/publish")
        patch = await organizer.patch(f"/api/events/{event_id}", json={"title": "Still mine?"})
        return [(r.status_code, r.json().get("error")) for r in (publish, patch)]

    answers = await eventually(
        manage, until=lambda a: a == [REVOKED, REVOKED], timeout=5, what="manage refused"
    )
    assert answers == [REVOKED, REVOKED]
    await _refused_everywhere_within_5s(cast, organizer.token, since)
    # signing in again gives a customer's token
    await login(organizer, organizer.email, PASSWORD)
    me = await organizer.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["role"] == "customer"


async def test_change_password_refuses_the_other_sessions_token_and_keeps_this_one_when_changed(
    cast: Cast,
) -> None:
    person = await cast.person("careful")
    elsewhere = await new_session(person)
    changed = await person.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "an even better passphrase"},
    )
    assert changed.status_code == 204, changed.text
    await _refused_everywhere_within_5s(cast, elsewhere["access_token"], time.monotonic())
    # the session that changed the password goes on (its revocation would have arrived too)
    kept = await _answers(cast, person.token)
    assert kept["/api/auth/me"] == (200, None)
    assert kept["/api/bookings"] == kept["/api/payments"] == (200, None)
    assert kept["/api/notifications"] == (200, None)
    assert kept["/api/events/mine"] == (403, "forbidden")  # a customer, but not revoked


async def test_revoked_session_stays_refused_when_its_token_is_refreshed(cast: Cast) -> None:
    """Ending a session ends its refresh tokens too: no new token with a revoked ``sid``."""
    person = await cast.person("refresher")
    pair = await new_session(person)
    await logout(person, pair)
    again = await person.http.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert again.status_code == 401 and again.json()["error"] == "unauthorized"
    fresh = await new_session(person)  # the account itself is fine: it may sign in again
    assert (await _answers(cast, fresh["access_token"]))["/api/bookings"] == (200, None)
