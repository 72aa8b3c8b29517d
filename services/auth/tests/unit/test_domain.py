"""Pure account rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auth_service.domain import (
    AccountDisabled,
    AccountState,
    AlreadyOrganizer,
    DelayLadder,
    EmailNotVerified,
    RefreshState,
    ThrottleLimit,
    access_tokens_live_for,
    check_can_apply,
    check_can_sign_in,
    is_demotion,
    one_time_token_usable,
    refresh_expiry,
    refresh_state,
    retry_after_seconds,
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


@pytest.mark.parametrize(
    "email",
    ["a\x00@b.test", "a@b\x00.test", "a@b.te\x01st", "a\x7f@b.test", "a@b.test\x9f", "a\tb@c.test"],
)
def test_email_is_refused_when_it_holds_a_control_character(email: str) -> None:
    with pytest.raises(ValueError):
        validate_email(email)


LADDER = DelayLadder(free_failures=5, base_seconds=1, cap_seconds=30)


def test_sign_in_waits_nothing_when_failures_are_below_the_free_ones() -> None:
    assert [LADDER.wait_after(n) for n in range(5)] == [0, 0, 0, 0, 0]


def test_sign_in_waits_double_each_time_when_failures_continue_past_the_free_ones() -> None:
    assert [LADDER.wait_after(n) for n in range(5, 11)] == [1, 2, 4, 8, 16, 30]


def test_sign_in_wait_stays_at_the_cap_when_failures_never_stop() -> None:
    assert LADDER.wait_after(10_000) == 30


def test_retry_after_is_the_longest_running_wait_rounded_up_when_some_run() -> None:
    assert retry_after_seconds([-2, 1200, 300]) == 2
    assert retry_after_seconds([1]) == 1
    assert retry_after_seconds([-2, -1, 0]) is None


@pytest.mark.parametrize(
    ("old", "new", "demoted"),
    [
        ("organizer", "customer", True),
        ("admin", "organizer", True),
        ("admin", "customer", True),
        ("customer", "organizer", False),
        ("organizer", "admin", False),
        ("customer", "customer", False),
    ],
)
def test_role_change_is_a_demotion_only_when_the_new_role_may_do_less(
    old: str, new: str, demoted: bool
) -> None:
    assert is_demotion(old, new) is demoted


def test_access_tokens_live_for_their_lifetime_plus_leeway_when_issued() -> None:
    assert access_tokens_live_for(ttl_seconds=900, leeway_seconds=10) == timedelta(seconds=910)
