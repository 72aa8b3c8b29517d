"""Pure account rules: roles, input policy, who may sign in, token states, session revocation,
applications, uploaded documents and sign-in throttling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.errors import (
    AlreadyExists,
    BadRequest,
    DomainError,
    Forbidden,
    InvalidState,
    Unauthorized,
)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
FULL_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
ORGANIZATION_NAME_MAX_LENGTH = 200
APPLICATION_DETAILS_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 1000

# Deliberately permissive (one @, a dotted domain, no spaces, no control characters): the real
# check is the verification email. Special-use domains such as ``.local`` / ``.test`` are allowed.
# ``\s`` alone lets NUL and most other control characters through, which PostgreSQL cannot store.
_ATOM = r"[^@\s.\x00-\x1f\x7f-\x9f]"
_EMAIL = re.compile(rf"(?:{_ATOM}|\.)+@{_ATOM}+(?:\.{_ATOM}+)+")


class Role(StrEnum):
    CUSTOMER = "customer"
    ORGANIZER = "organizer"
    ADMIN = "admin"


_RANK = {Role.CUSTOMER.value: 0, Role.ORGANIZER.value: 1, Role.ADMIN.value: 2}


def is_demotion(old_role: str, new_role: str) -> bool:
    """True when ``new_role`` may do less than ``old_role``: tokens still carrying the old role
    must stop working. A promotion needs nothing of the kind: the next token carries it."""
    return _RANK[new_role] < _RANK[old_role]


class InvalidCredentials(Unauthorized):
    code, message = "unauthorized", "The email or password is wrong."


class RefreshTokenInvalid(Unauthorized):
    code, message = "unauthorized", "The refresh token is not valid."


class AccountDisabled(Forbidden):
    code, message = "account_disabled", "This account is disabled."


class EmailNotVerified(Forbidden):
    code, message = "email_not_verified", "Verify your email address before signing in."


class WrongPassword(BadRequest):
    code, message = "wrong_password", "The current password is wrong."


class TokenInvalid(BadRequest):
    code, message = "invalid_token", "The token is invalid, expired or already used."


class ApplicationPending(AlreadyExists):
    message = "You already have a pending organizer application."


class AlreadyOrganizer(InvalidState):
    message = "This account is already an organizer or an admin."


def normalize_email(raw: str) -> str:
    """The stored form of an email: trimmed and lowercased."""
    return raw.strip().lower()


def validate_email(raw: str) -> str:
    """Normalize ``raw``; ValueError when it does not look like an email address."""
    email = normalize_email(raw)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
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


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


def one_time_token_usable(*, used_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    """A one-time token works once, before it expires."""
    return used_at is None and now < expires_at


def refresh_expiry(*, now: datetime, ttl: timedelta, session_expires_at: datetime) -> datetime:
    """A rotated refresh token lives ``ttl`` but never past the session's absolute end."""
    return min(now + ttl, session_expires_at)


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def check_can_apply(*, role: str, email_verified: bool) -> None:
    """Only customers with a verified email apply to become organizers."""
    if not email_verified:
        raise EmailNotVerified("Verify your email address before applying.")
    if role != Role.CUSTOMER.value:
        raise AlreadyOrganizer()


def role_after_approval(role: str) -> str:
    """Approval makes a customer an organizer; it never demotes an admin."""
    return Role.ORGANIZER.value if role == Role.CUSTOMER.value else role


# Uploaded documents: the type comes from the first bytes, never from the name or the
# declared content type.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
DOCUMENT_TYPES = {content_type: ext for _, content_type, ext in _SIGNATURES}


def sniff_document_type(head: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG by its magic bytes; None for anything else."""
    for signature, content_type, _ext in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


class DocumentInvalid(DomainError):
    """An uploaded document that is empty or not a PDF, PNG or JPEG: a 422 naming the field."""

    status_code, code, message = 422, "validation_error", "The request has invalid fields."

    def __init__(self, problem: str, kind: str) -> None:
        super().__init__(
            details={
                "fields": [
                    {"field": "document", "location": "body", "message": problem, "type": kind}
                ]
            }
        )


@dataclass(frozen=True, slots=True)
class ThrottleLimit:
    max_failures: int
    window_seconds: int


def throttle_retry_after(counts: list[tuple[int, int]], limits: list[ThrottleLimit]) -> int | None:
    """Seconds to wait when any (failures, seconds-left) pair reached its limit; else None."""
    waits = [
        max(1, ttl if ttl > 0 else limit.window_seconds)
        for (failures, ttl), limit in zip(counts, limits, strict=True)
        if failures >= limit.max_failures
    ]
    return max(waits) if waits else None


@dataclass(frozen=True, slots=True)
class DelayLadder:
    """Progressive sign-in delays: the first ``free_failures`` failures cost nothing; from then
    on each failure makes the next attempt wait ``base``, 2×, 4×, … seconds, never more than
    ``cap`` — so whoever fails can at worst make the owner wait ``cap``, never lock them out."""

    free_failures: int
    base_seconds: float
    cap_seconds: float

    def wait_after(self, failures: int) -> float:
        """Seconds the next attempt waits once ``failures`` failures are on record."""
        if failures < self.free_failures:
            return 0.0
        doublings = min(failures - self.free_failures, 40)  # 2**40 s is past any cap
        return float(min(self.base_seconds * 2**doublings, self.cap_seconds))


def retry_after_seconds(waits_ms: list[int]) -> int | None:
    """Whole seconds (rounded up) until the longest running wait ends; None when none runs.

    ``waits_ms`` are Redis PTTLs: negative for a missing key or one without expiry."""
    running = [ms for ms in waits_ms if ms > 0]
    return max(1, -(-max(running) // 1000)) if running else None


class SessionEndReason(StrEnum):
    """Why sessions ended early (``session.revoked``'s ``reason``)."""

    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    ROLE_CHANGED = "role_changed"
    DISABLED = "disabled"
    DELETED = "deleted"
    REFRESH_REUSED = "refresh_reused"


def access_tokens_live_for(*, ttl_seconds: int, leeway_seconds: int) -> timedelta:
    """How long an access token issued now may still be accepted somewhere: its lifetime plus
    the verifiers' clock leeway. A session revoked now is denied for this long, and only the
    sessions that issued an access token within this long can still have a live one."""
    return timedelta(seconds=ttl_seconds + leeway_seconds)
