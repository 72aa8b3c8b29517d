"""Pure account rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auth_service.domain import (
    AccountDisabled,
    AccountState,
    AlreadyOrganizer,
    EmailNotVerified,
    RefreshState,
    ThrottleLimit,
    check_can_apply,
    check_can_sign_in,
    one_time_token_usable,
    refresh_expiry,
    refresh_state,
    role_after_approval,
    sniff_document_type,
    throttle_retry_after,
    validate_email,
    validate_full_name,
    validate_password,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("password", ["12345678", "x" * 128, "correct horse battery"])
def test_password_is_accepted_when_within_policy(password: str) -> None:
    assert validate_password(password) == password


@pytest.mark.parametrize("password", ["", "1234567", "x" * 129, " " * 10])
def test_password_is_refused_when_outside_policy(password: str) -> None:
    with pytest.raises(ValueError):
        validate_password(password)


def test_email_is_lowercased_and_trimmed_when_valid() -> None:
    assert validate_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


def test_email_accepts_special_use_domains_when_dotted() -> None:
    assert validate_email("admin@ticketing.local") == "admin@ticketing.local"


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "a@@b.com", "a b@c.com", "@x.com"])
def test_email_is_refused_when_malformed(email: str) -> None:
    with pytest.raises(ValueError):
        validate_email(email)


def test_full_name_is_trimmed_when_valid() -> None:
    assert validate_full_name("  Ada  ") == "Ada"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_full_name_is_refused_when_empty_or_too_long(name: str) -> None:
    with pytest.raises(ValueError):
        validate_full_name(name)


def _account(**overrides: object) -> AccountState:
    values: dict[str, object] = {"disabled_at": None, "deleted_at": None, "email_verified": False}
    values.update(overrides)
    return AccountState(**values)  # type: ignore[arg-type]


def test_sign_in_is_allowed_when_unverified_and_verification_not_required() -> None:
    check_can_sign_in(_account(), require_verified_email=False)


def test_sign_in_is_refused_when_verification_required_and_unverified() -> None:
    with pytest.raises(EmailNotVerified) as caught:
        check_can_sign_in(_account(), require_verified_email=True)
    assert caught.value.status_code == 403 and caught.value.code == "email_not_verified"


@pytest.mark.parametrize("field", ["disabled_at", "deleted_at"])
def test_sign_in_is_refused_when_account_disabled_or_deleted(field: str) -> None:
    with pytest.raises(AccountDisabled) as caught:
        check_can_sign_in(
            _account(**{field: NOW, "email_verified": True}), require_verified_email=False
        )
    assert caught.value.code == "account_disabled"


def test_refresh_token_is_active_when_unused_and_unexpired() -> None:
    state = refresh_state(used_at=None, revoked_at=None, expires_at=NOW + timedelta(1), now=NOW)
    assert state is RefreshState.ACTIVE


def test_refresh_token_is_expired_when_past_expiry() -> None:
    state = refresh_state(used_at=None, revoked_at=None, expires_at=NOW, now=NOW)
    assert state is RefreshState.EXPIRED


@pytest.mark.parametrize(("used_at", "revoked_at"), [(NOW, None), (None, NOW), (NOW, NOW)])
def test_refresh_token_counts_as_reused_when_rotated_or_revoked(
    used_at: datetime | None, revoked_at: datetime | None
) -> None:
    expires = NOW - timedelta(days=1)  # a dead token is "reused" even after it expired
    state = refresh_state(used_at=used_at, revoked_at=revoked_at, expires_at=expires, now=NOW)
    assert state is RefreshState.REUSED


# --- one-time tokens, session lifetime ---------------------------------------------------

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_one_time_token_works_when_unused_and_unexpired() -> None:
    assert one_time_token_usable(used_at=None, expires_at=NOW + timedelta(seconds=1), now=NOW)


def test_one_time_token_fails_when_used_or_expired() -> None:
    assert not one_time_token_usable(used_at=NOW, expires_at=NOW + timedelta(hours=1), now=NOW)
    assert not one_time_token_usable(used_at=None, expires_at=NOW, now=NOW)


def test_rotated_refresh_token_never_outlives_the_session_when_near_its_end() -> None:
    end = NOW + timedelta(days=1)
    assert refresh_expiry(now=NOW, ttl=timedelta(days=14), session_expires_at=end) == end
    assert refresh_expiry(now=NOW, ttl=timedelta(hours=1), session_expires_at=end) == (
        NOW + timedelta(hours=1)
    )


# --- organizer applications --------------------------------------------------------------


def test_customer_may_apply_when_email_verified() -> None:
    check_can_apply(role="customer", email_verified=True)


def test_apply_is_refused_when_email_unverified() -> None:
    with pytest.raises(EmailNotVerified):
        check_can_apply(role="customer", email_verified=False)


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_apply_is_refused_when_already_organizer_or_admin(role: str) -> None:
    with pytest.raises(AlreadyOrganizer):
        check_can_apply(role=role, email_verified=True)


def test_approval_promotes_a_customer_but_never_demotes_an_admin_when_applied() -> None:
    assert role_after_approval("customer") == "organizer"
    assert role_after_approval("admin") == "admin"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a", None),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_document_type_comes_from_magic_bytes_when_sniffed(
    head: bytes, expected: str | None
) -> None:
    assert sniff_document_type(head) == expected


# --- throttling ---------------------------------------------------------------------------

LIMITS = [ThrottleLimit(5, 900), ThrottleLimit(50, 600)]


def test_throttle_lets_through_when_under_every_limit() -> None:
    assert throttle_retry_after([(4, 800), (49, 100)], LIMITS) is None


def test_throttle_waits_for_the_longest_window_when_several_limits_reached() -> None:
    assert throttle_retry_after([(5, 800), (50, 100)], LIMITS) == 800
    assert throttle_retry_after([(0, -2), (50, 100)], LIMITS) == 100


def test_throttle_waits_a_whole_window_when_counter_has_no_ttl() -> None:
    assert throttle_retry_after([(7, -1), (0, -2)], LIMITS) == 900
