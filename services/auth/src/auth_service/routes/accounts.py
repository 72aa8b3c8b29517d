"""Accounts and sessions: thin — parse, call one use case, return a schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from auth_service import service
from auth_service.deps import ClientIP, ContextDep, SessionId, SettingsDep
from auth_service.schemas import (
    EmailVerify,
    PasswordChange,
    PasswordForgot,
    PasswordReset,
    SessionCreate,
    SessionEnd,
    SessionRefresh,
    TokenPair,
    UserCreate,
    UserRead,
    UserUpdate,
    VerificationResend,
)
from shared.openapi import errors, no_content
from shared.runtime import SessionDep
from shared.security import CurrentUser

router = APIRouter(prefix="/api/auth", tags=["auth"])
# The root copy is what services fetch (JWKS_URL); the documented path is the gateway's.
well_known = APIRouter(tags=["auth"], include_in_schema=False)

JWKS_CACHE_CONTROL = "public, max-age=300"


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _accepted() -> Response:
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=errors(409))
async def register(
    body: UserCreate, session: SessionDep, settings: SettingsDep, ip: ClientIP
) -> UserRead:
    user = await service.register_user(
        session,
        settings=settings,
        email=body.email,
        password=body.password,
        full_name=body.full_name,
        ip=ip,
    )
    return UserRead.model_validate(user)


@router.post("/login", responses=errors(401, 403))
async def login(
    body: SessionCreate, session: SessionDep, settings: SettingsDep, ctx: ContextDep, ip: ClientIP
) -> TokenPair:
    return await service.login(
        session,
        settings=settings,
        signer=ctx.signer,
        throttle=ctx.throttle,
        email=body.email,
        password=body.password,
        ip=ip,
    )


@router.post("/refresh", responses=errors(401, 403))
async def refresh(
    body: SessionRefresh, session: SessionDep, settings: SettingsDep, ctx: ContextDep
) -> TokenPair:
    return await service.refresh_session(
        session, settings=settings, signer=ctx.signer, refresh_token=body.refresh_token
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(
    body: SessionEnd,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    session_id: SessionId,
) -> Response:
    await service.logout(
        session,
        settings=settings,
        user_id=user.id,
        session_id=session_id,
        refresh_token=body.refresh_token,
    )
    return _no_content()


# 403 for a disabled account, 404 for a deleted one, until the revocation reaches this process.
@router.get("/me", responses=errors(403, 404))
async def get_me(session: SessionDep, user: CurrentUser) -> UserRead:
    return UserRead.model_validate(await service.get_me(session, user_id=user.id))


@router.patch("/me", responses=errors(403, 404))
async def update_me(body: UserUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    updated = await service.update_me(session, user_id=user.id, full_name=body.full_name)
    return UserRead.model_validate(updated)


@router.post(
    "/change-password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(403, 404),
)
async def change_password(
    body: PasswordChange,
    session: SessionDep,
    user: CurrentUser,
    session_id: SessionId,
    settings: SettingsDep,
    ctx: ContextDep,
    ip: ClientIP,
) -> Response:
    await service.change_password(
        session,
        settings=settings,
        throttle=ctx.throttle,
        user_id=user.id,
        session_id=session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        ip=ip,
    )
    return _no_content()


@router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def verify_email(body: EmailVerify, session: SessionDep, ip: ClientIP) -> Response:
    await service.verify_email(session, token=body.token, ip=ip)
    return _no_content()


_ACCEPTED_DOCS = no_content(202, "Accepted (whether or not the account exists); no body")


@router.post(
    "/resend-verification",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=_ACCEPTED_DOCS,
)
async def resend_verification(
    body: VerificationResend, session: SessionDep, settings: SettingsDep, ctx: ContextDep
) -> Response:
    await service.resend_verification(
        session, settings=settings, cooldown=ctx.mail_cooldown, email=body.email
    )
    return _accepted()


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=_ACCEPTED_DOCS,
)
async def forgot_password(
    body: PasswordForgot, session: SessionDep, settings: SettingsDep, ctx: ContextDep, ip: ClientIP
) -> Response:
    await service.request_password_reset(
        session, settings=settings, cooldown=ctx.mail_cooldown, email=body.email, ip=ip
    )
    return _accepted()


@router.post("/reset-password", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def reset_password(
    body: PasswordReset, session: SessionDep, settings: SettingsDep, ip: ClientIP
) -> Response:
    await service.reset_password(
        session, settings=settings, token=body.token, new_password=body.new_password, ip=ip
    )
    return _no_content()


async def jwks(ctx: ContextDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = JWKS_CACHE_CONTROL
    return ctx.signer.jwks


# Served under the prefix (the gateway's path, the documented one) and at the root (what
# JWKS_URL points at inside the deployment; left out of the schema, the gateway does not serve
# it).
router.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
well_known.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
