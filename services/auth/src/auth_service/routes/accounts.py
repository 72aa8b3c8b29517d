"""Accounts and sessions: thin — parse, call one use case, return a schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from auth_service import service
from auth_service.deps import ClientIP, SessionId, SettingsDep, SignerDep, ThrottleDep
from auth_service.schemas import (
    ChangePasswordRequest,
    EmailRequest,
    LoginRequest,
    MeUpdate,
    RefreshRequest,
    ResetPasswordRequest,
    TokenPair,
    TokenRequest,
    UserCreate,
    UserRead,
)
from shared.runtime import RuntimeDep, SessionDep
from shared.security import CurrentUser

router = APIRouter(prefix="/api/auth", tags=["auth"])
well_known = APIRouter(tags=["auth"])

JWKS_CACHE_CONTROL = "public, max-age=300"


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _accepted() -> Response:
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post("/register", status_code=status.HTTP_201_CREATED)
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


@router.post("/login")
async def login(
    body: LoginRequest,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    throttle: ThrottleDep,
    ip: ClientIP,
) -> TokenPair:
    return await service.login(
        session,
        settings=settings,
        signer=signer,
        throttle=throttle,
        email=body.email,
        password=body.password,
        ip=ip,
    )


@router.post("/refresh")
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, signer: SignerDep
) -> TokenPair:
    return await service.refresh_session(
        session, settings=settings, signer=signer, refresh_token=body.refresh_token
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, session: SessionDep, user: CurrentUser) -> Response:
    await service.logout(session, user_id=user.id, refresh_token=body.refresh_token)
    return _no_content()


@router.get("/me")
async def get_me(session: SessionDep, user: CurrentUser) -> UserRead:
    return UserRead.model_validate(await service.get_me(session, user_id=user.id))


@router.patch("/me")
async def update_me(body: MeUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    updated = await service.update_me(session, user_id=user.id, full_name=body.full_name)
    return UserRead.model_validate(updated)


@router.post("/change-password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: ChangePasswordRequest,
    session: SessionDep,
    user: CurrentUser,
    session_id: SessionId,
    throttle: ThrottleDep,
    ip: ClientIP,
) -> Response:
    await service.change_password(
        session,
        throttle=throttle,
        user_id=user.id,
        session_id=session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        ip=ip,
    )
    return _no_content()


@router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT)
async def verify_email(body: TokenRequest, session: SessionDep, ip: ClientIP) -> Response:
    await service.verify_email(session, token=body.token, ip=ip)
    return _no_content()


@router.post("/resend-verification", status_code=status.HTTP_202_ACCEPTED)
async def resend_verification(
    body: EmailRequest, session: SessionDep, settings: SettingsDep, rt: RuntimeDep
) -> Response:
    await service.resend_verification(session, settings=settings, redis=rt.redis, email=body.email)
    return _accepted()


@router.post("/forgot-password", status_code=status.HTTP_202_ACCEPTED)
async def forgot_password(
    body: EmailRequest, session: SessionDep, settings: SettingsDep, rt: RuntimeDep, ip: ClientIP
) -> Response:
    await service.request_password_reset(
        session, settings=settings, redis=rt.redis, email=body.email, ip=ip
    )
    return _accepted()


@router.post("/reset-password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(body: ResetPasswordRequest, session: SessionDep, ip: ClientIP) -> Response:
    await service.reset_password(session, token=body.token, new_password=body.new_password, ip=ip)
    return _no_content()


async def jwks(signer: SignerDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = JWKS_CACHE_CONTROL
    return signer.jwks


# Served at the root (what JWKS_URL points at) and under the prefix (through the gateway).
well_known.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
router.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
