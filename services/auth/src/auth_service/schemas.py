"""HTTP shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from auth_service.domain import (
    APPLICATION_DETAILS_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    ORGANIZATION_NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    REASON_MAX_LENGTH,
    ApplicationStatus,
    Role,
    normalize_email,
    validate_email,
    validate_full_name,
    validate_password,
)
from shared.types import Input, MultiLine, SingleLine

# Text refuses control characters (a 422 naming the field; PostgreSQL cannot store a NUL).
# Passwords are free text: they may hold a tab or a line break, never another control character.
Email = Annotated[
    SingleLine, Field(max_length=EMAIL_MAX_LENGTH * 2), AfterValidator(validate_email)
]
NewPassword = Annotated[MultiLine, AfterValidator(validate_password)]
FullName = Annotated[SingleLine, Field(max_length=1000), AfterValidator(validate_full_name)]
# Sign-in takes whatever was typed: a malformed email simply matches no account.
LoginEmail = Annotated[
    SingleLine, Field(min_length=1, max_length=1000), AfterValidator(normalize_email)
]
LoginPassword = Annotated[MultiLine, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH * 8)]
OpaqueToken = Annotated[SingleLine, Field(min_length=1, max_length=512)]


def _trimmed_text(limit: int) -> Any:
    def check(raw: str) -> str:
        value = raw.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > limit:
            raise ValueError(f"must have at most {limit} characters")
        return value

    return AfterValidator(check)


OrganizationName = Annotated[
    SingleLine,
    Field(max_length=ORGANIZATION_NAME_MAX_LENGTH * 4),
    _trimmed_text(ORGANIZATION_NAME_MAX_LENGTH),
]
ApplicationDetails = Annotated[
    MultiLine,
    Field(max_length=APPLICATION_DETAILS_MAX_LENGTH * 4),
    _trimmed_text(APPLICATION_DETAILS_MAX_LENGTH),
]
Reason = Annotated[
    MultiLine, Field(max_length=REASON_MAX_LENGTH * 4), _trimmed_text(REASON_MAX_LENGTH)
]


# Request bodies are named <thing><action>, like every service's (EventCreate, HoldRetake):
# the thing the request acts on, then what it does to it.


class UserCreate(Input):
    """Register."""

    email: Email
    password: NewPassword
    full_name: FullName


class UserUpdate(Input):
    """The caller's own account."""

    full_name: FullName


class UserAdminUpdate(Input):
    role: Role | None = None
    disabled: bool | None = None


class SessionCreate(Input):
    """Sign in."""

    email: LoginEmail
    password: LoginPassword


class SessionRefresh(Input):
    refresh_token: OpaqueToken


class SessionEnd(Input):
    """Sign out: the session this refresh token belongs to ends too (if it is the caller's)."""

    refresh_token: OpaqueToken


class EmailVerify(Input):
    token: OpaqueToken


class VerificationResend(Input):
    email: Email


class PasswordChange(Input):
    current_password: LoginPassword
    new_password: NewPassword


class PasswordForgot(Input):
    """Ask for a reset token by email."""

    email: Email


class PasswordReset(Input):
    token: OpaqueToken
    new_password: NewPassword


class ApplicationDecision(Input):
    reason: Reason | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    email_verified: bool
    created_at: datetime


class UserAdminRead(UserRead):
    """What admins see: the user plus account state."""

    updated_at: datetime
    disabled_at: datetime | None
    deleted_at: datetime | None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class DocumentRead(BaseModel):
    content_type: str
    size: int
    sha256: str


class ApplicationRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    full_name: str
    organization_name: str
    details: str
    status: ApplicationStatus
    reason: str | None
    document: DocumentRead | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None


class AuditLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str
    target: str | None
    ip: str | None
    at: datetime
    details: dict[str, Any]
