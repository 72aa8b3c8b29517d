"""HTTP shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from auth_service.domain import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    Role,
    normalize_email,
    validate_email,
    validate_full_name,
    validate_password,
)

Email = Annotated[str, Field(max_length=EMAIL_MAX_LENGTH * 2), AfterValidator(validate_email)]
NewPassword = Annotated[str, AfterValidator(validate_password)]
FullName = Annotated[str, Field(max_length=1000), AfterValidator(validate_full_name)]
# Sign-in takes whatever was typed: a malformed email simply matches no account.
LoginEmail = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(normalize_email)]
LoginPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH * 8)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=512)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Input):
    email: Email
    password: NewPassword
    full_name: FullName


class LoginRequest(_Input):
    email: LoginEmail
    password: LoginPassword


class RefreshRequest(_Input):
    refresh_token: OpaqueToken


class MeUpdate(_Input):
    full_name: FullName


class UserAdminUpdate(_Input):
    role: Role | None = None
    disabled: bool | None = None


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
