"""Pure account rules: roles, email and password policy, who may sign in, refresh-token states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.errors import Forbidden, Unauthorized

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
FULL_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254

# Deliberately permissive (one @, a dotted domain, no spaces): the real check is the
# verification email. Special-use domains such as ``.local`` / ``.test`` are allowed.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


class Role(StrEnum):
    CUSTOMER = "customer"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class InvalidCredentials(Unauthorized):
    code, message = "unauthorized", "The email or password is wrong."


class RefreshTokenInvalid(Unauthorized):
    code, message = "unauthorized", "The refresh token is not valid."


class AccountDisabled(Forbidden):
    code, message = "account_disabled", "This account is disabled."


class EmailNotVerified(Forbidden):
    code, message = "email_not_verified", "Verify your email address before signing in."


def normalize_email(raw: str) -> str:
    """The stored form of an email: trimmed and lowercased."""
    return raw.strip().lower()


def validate_email(raw: str) -> str:
    """Normalize ``raw``; ValueError when it does not look like an email address."""
    email = normalize_email(raw)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        raise ValueError("not a valid email address")
    return email


def validate_password(password: str) -> str:
    """The password policy: 8 to 128 characters, not only whitespace."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must have at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValueError(f"must have at most {PASSWORD_MAX_LENGTH} characters")
    if not password.strip():
        raise ValueError("must not be only whitespace")
    return password


def validate_full_name(raw: str) -> str:
    """Trimmed; 1 to 200 characters."""
    name = raw.strip()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > FULL_NAME_MAX_LENGTH:
        raise ValueError(f"must have at most {FULL_NAME_MAX_LENGTH} characters")
    return name


@dataclass(frozen=True, slots=True)
class AccountState:
    disabled_at: datetime | None
    deleted_at: datetime | None
    email_verified: bool

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None and self.deleted_at is None


def check_can_sign_in(account: AccountState, *, require_verified_email: bool) -> None:
    """Raise why an account (whose password was right) may not sign in, if it may not."""
    if not account.is_active:
        raise AccountDisabled()
    if require_verified_email and not account.email_verified:
        raise EmailNotVerified()


class RefreshState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REUSED = "reused"  # already rotated or revoked: presenting it again is suspicious


def refresh_state(
    *, used_at: datetime | None, revoked_at: datetime | None, expires_at: datetime, now: datetime
) -> RefreshState:
    """What presenting a stored refresh token means right now."""
    if used_at is not None or revoked_at is not None:
        return RefreshState.REUSED
    if expires_at <= now:
        return RefreshState.EXPIRED
    return RefreshState.ACTIVE
