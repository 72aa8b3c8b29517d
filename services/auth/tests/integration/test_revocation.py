"""Prompt revocation: every way a session ends early writes ``session.revoked`` (outbox) and a
revocation row in the same transaction; auth serves the ones in force at
``GET /internal/revocations`` and refuses their access tokens itself (401 ``token_revoked``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import jwt
import pytest

from auth_service import service
from auth_service.main import create_app
from auth_service.settings import Settings
from shared.security import INTERNAL_TOKEN_HEADER
from shared.testing.app import running_app
from shared.testing.eventually import eventually
from shared.testing.fixtures import Outbox

pytestmark = pytest.mark.integration

Register = Callable[..., Awaitable[dict[str, Any]]]
MailedToken = Callable[[str, str], Awaitable[str]]


def _sid(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def _claims(access_token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return claims


async def _login(client: httpx2.AsyncClient, account: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": account["password"]}
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _me_status(client: httpx2.AsyncClient, token: str) -> tuple[int, str | None]:
    response = await client.get("/api/auth/me", headers=_bearer(token))
    return response.status_code, response.json().get("error")


async def _refused(client: httpx2.AsyncClient, token: str) -> None:
    """The token is refused as revoked within 5 s (the contract's bound)."""
    await eventually(
        lambda: _me_status(client, token),
        until=lambda s: s == (401, "token_revoked"),
        timeout=5,
        what="token_revoked",
    )


async def _internal(client: httpx2.AsyncClient, settings: Settings) -> list[dict[str, Any]]:
    response = await client.get(
        "/internal/revocations",
        headers={INTERNAL_TOKEN_HEADER: settings.INTERNAL_TOKEN.get_secret_value()},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


async def test_logout_refuses_the_access_token_and_announces_the_session_when_signing_out(
    client: httpx2.AsyncClient, register: Register, settings: Settings, outbox: Outbox
) -> None:
    account = await register()
    sid = _sid(account["access_token"])
    before = datetime.now(UTC)
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": account["refresh_token"]},
        headers=account["headers"],
    )
    assert response.status_code == 204
    await _refused(client, account["access_token"])
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["session_ids"] == [sid] and message["reason"] == "logout"
    live_for = settings.ACCESS_TOKEN_TTL_SECONDS + settings.JWT_LEEWAY_SECONDS
    expires_at = datetime.fromisoformat(message["expires_at"])
    assert before + timedelta(seconds=live_for) <= expires_at
    assert expires_at <= datetime.now(UTC) + timedelta(seconds=live_for)
    served = [r for r in await _internal(client, settings) if r["user_id"] == account["id"]]
    assert served == [message]


async def test_internal_revocations_answer_401_when_the_internal_credential_is_wrong(
    client: httpx2.AsyncClient,
) -> None:
    missing = await client.get("/internal/revocations")
    wrong = await client.get("/internal/revocations", headers={INTERNAL_TOKEN_HEADER: "guess"})
    assert missing.status_code == wrong.status_code == 401
    assert wrong.json()["error"] == "unauthorized"


async def test_change_password_refuses_the_other_sessions_tokens_when_this_one_stays(
    client: httpx2.AsyncClient, register: Register, outbox: Outbox
) -> None:
    account = await register()
    other = await _login(client, account)
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": account["password"], "new_password": "a-new-password"},
        headers=account["headers"],
    )
    assert response.status_code == 204
    await _refused(client, other["access_token"])
    assert await _me_status(client, account["access_token"]) == (200, None)
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["session_ids"] == [_sid(other["access_token"])]
    assert message["reason"] == "password_changed"


async def test_reset_password_refuses_every_sessions_tokens_when_the_password_is_reset(
    client: httpx2.AsyncClient, register: Register, outbox: Outbox, mailed_token: MailedToken
) -> None:
    account = await register()
    other = await _login(client, account)
    assert (
        await client.post("/api/auth/forgot-password", json={"email": account["email"]})
    ).status_code == 202
    token = await mailed_token("user.password_reset_requested", account["id"])
    reset = await client.post(
        "/api/auth/reset-password", json={"token": token, "new_password": "brand-new-secret"}
    )
    assert reset.status_code == 204
    for pair in (account, other):
        await _refused(client, pair["access_token"])
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert sorted(message["session_ids"]) == sorted(
        [_sid(account["access_token"]), _sid(other["access_token"])]
    )
    assert message["reason"] == "password_reset"


async def test_demotion_refuses_the_old_role_tokens_when_an_admin_lowers_the_role(
    client: httpx2.AsyncClient,
    register: Register,
    probe: Any,
    admin_headers: dict[str, str],
    outbox: Outbox,
) -> None:
    account = await register()
    url = f"/api/auth/admin/users/{account['id']}"
    promoted = await client.patch(url, json={"role": "organizer"}, headers=admin_headers)
    assert promoted.status_code == 200
    # a promotion ends nothing: the next token carries the new role
    assert await outbox("session.revoked", user_id=account["id"]) == []
    organizer = await _login(client, account)
    assert _claims(organizer["access_token"])["role"] == "organizer"
    demoted = await client.patch(url, json={"role": "customer"}, headers=admin_headers)
    assert demoted.status_code == 200
    await _refused(client, organizer["access_token"])
    await _refused(client, account["access_token"])
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["reason"] == "role_changed"
    assert sorted(message["session_ids"]) == sorted(
        [_sid(account["access_token"]), _sid(organizer["access_token"])]
    )
    promotion, demotion = await probe.audit(
        action="admin.user_updated", target=f"user:{account['id']}"
    )
    assert promotion["details"] == {"role": {"from": "customer", "to": "organizer"}}
    assert demotion["details"] == {
        "role": {"from": "organizer", "to": "customer"},
        "sessions_revoked": 2,
    }
    fresh = await _login(client, account)  # signing in again gives a working customer token
    assert await _me_status(client, fresh["access_token"]) == (200, None)


@pytest.mark.parametrize(("how", "reason"), [("disable", "disabled"), ("delete", "deleted")])
async def test_account_tokens_are_refused_when_an_admin_disables_or_deletes_it(
    client: httpx2.AsyncClient,
    register: Register,
    admin_headers: dict[str, str],
    how: str,
    reason: str,
    outbox: Outbox,
) -> None:
    account = await register()
    url = f"/api/auth/admin/users/{account['id']}"
    if how == "disable":
        response = await client.patch(url, json={"disabled": True}, headers=admin_headers)
        assert response.status_code == 200
    else:
        assert (await client.delete(url, headers=admin_headers)).status_code == 204
    await _refused(client, account["access_token"])
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["reason"] == reason
    assert message["session_ids"] == [_sid(account["access_token"])]


async def test_refresh_reuse_refuses_the_family_tokens_when_a_rotated_token_comes_back(
    client: httpx2.AsyncClient, register: Register, outbox: Outbox
) -> None:
    account = await register()
    rotated = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert rotated.status_code == 200
    new_access = rotated.json()["access_token"]
    assert _sid(new_access) == _sid(account["access_token"])  # one session, one sid
    replay = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert replay.status_code == 401
    await _refused(client, new_access)
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["reason"] == "refresh_reused"
    assert message["session_ids"] == [_sid(new_access)]
    # presenting a dead token again revokes nothing new and announces nothing more
    again = await client.post("/api/auth/refresh", json={"refresh_token": account["refresh_token"]})
    assert again.status_code == 401
    assert len(await outbox("session.revoked", user_id=account["id"])) == 1


async def test_session_is_not_announced_when_its_last_access_token_has_expired(
    client: httpx2.AsyncClient, register: Register, probe: Any, outbox: Outbox
) -> None:
    account = await register()
    await probe.execute(
        "UPDATE refresh_token SET created_at = now() - interval '1 hour' WHERE user_id = :id",
        id=uuid.UUID(account["id"]),
    )
    other = await _login(client, account)  # a fresh session, announced when it ends
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": account["refresh_token"]},
        headers=_bearer(other["access_token"]),
    )
    assert response.status_code == 204
    (sent,) = await outbox("session.revoked", user_id=account["id"])
    message = sent["data"]
    assert message["session_ids"] == [_sid(other["access_token"])]
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert refreshed.status_code == 401  # its refresh token died all the same


async def test_restarted_auth_refuses_revoked_tokens_when_the_revocation_predates_it(
    client: httpx2.AsyncClient, register: Register, settings: Settings
) -> None:
    account = await register()
    assert (
        await client.post(
            "/api/auth/logout",
            json={"refresh_token": account["refresh_token"]},
            headers=account["headers"],
        )
    ).status_code == 204
    await _refused(client, account["access_token"])
    # a new process heard no message: it learns the revocation from auth's own table
    async with running_app(create_app, settings) as (_app, restarted):
        await _refused(restarted, account["access_token"])


async def test_expired_revocations_are_not_served_and_are_pruned_when_past_their_end(
    runtime: Any, client: httpx2.AsyncClient, probe: Any, settings: Settings
) -> None:
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    await probe.execute(
        "INSERT INTO session_revocation (id, user_id, session_ids, reason, revoked_at, "
        "expires_at) VALUES (:id, :user, ARRAY[CAST(:sid AS uuid)], 'logout', "
        "now() - interval '1 hour', now() - interval '1 second')",
        id=uuid.uuid4(),
        user=user_id,
        sid=str(session_id),
    )
    assert all(r["user_id"] != str(user_id) for r in await _internal(client, settings))
    async with runtime.sessionmaker() as session:
        assert await service.prune_revocations(session) >= 1
    left = await probe.rows("SELECT id FROM session_revocation WHERE user_id = :u", u=user_id)
    assert left == []


async def test_access_token_says_the_email_is_verified_when_refreshed_after_verifying(
    client: httpx2.AsyncClient, register: Register, mailed_token: MailedToken
) -> None:
    account = await register()
    assert _claims(account["access_token"])["email_verified"] is False
    token = await mailed_token("user.registered", account["id"])
    assert (await client.post("/api/auth/verify-email", json={"token": token})).status_code == 204
    assert _claims(account["access_token"])["email_verified"] is False  # tokens are immutable
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert _claims(refreshed.json()["access_token"])["email_verified"] is True


async def test_access_token_names_the_user_and_a_new_name_when_refreshed_after_renaming(
    client: httpx2.AsyncClient, register: Register
) -> None:
    account = await register(full_name="  Ada Lovelace ")
    assert _claims(account["access_token"])["name"] == "Ada Lovelace"  # as stored: trimmed
    renamed = await client.patch(
        "/api/auth/me", json={"full_name": "Ada King"}, headers=account["headers"]
    )
    assert renamed.status_code == 200, renamed.text
    assert _claims(account["access_token"])["name"] == "Ada Lovelace"  # tokens are immutable
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert _claims(refreshed.json()["access_token"])["name"] == "Ada King"
