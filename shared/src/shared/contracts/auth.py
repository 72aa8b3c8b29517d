"""Messages published by auth."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.contracts.base import Contract


class UserRegisteredV1(Contract):
    TYPE = "user.registered"
    user_id: UUID
    email: str
    full_name: str
    verification_token: str | None = None


class UserPasswordResetRequestedV1(Contract):
    TYPE = "user.password_reset_requested"
    user_id: UUID
    email: str
    full_name: str
    reset_token: str
    expires_at: datetime


class OrganizerDecidedV1(Contract):
    TYPE = "organizer.decided"
    application_id: UUID
    user_id: UUID
    email: str
    full_name: str
    approved: bool
    reason: str | None = None


class UserVerificationRequestedV1(Contract):
    """A (new) email-verification token was issued: on resend, or after an email change."""

    TYPE = "user.verification_requested"
    user_id: UUID
    email: str
    full_name: str
    verification_token: str
    expires_at: datetime


class SessionRevokedV1(Contract):
    """Sessions ended before their access tokens expire: logout, password change or reset,
    a role change, a disabled or deleted account, refresh-token reuse. Every service process
    refuses those sessions' tokens (401 ``token_revoked``) until ``expires_at``, after which
    none of them can still be valid."""

    TYPE = "session.revoked"
    user_id: UUID
    session_ids: list[UUID]
    reason: str
    expires_at: datetime
