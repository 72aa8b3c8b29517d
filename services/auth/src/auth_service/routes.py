"""Auth's HTTP routes: thin — parse, call one use case, return a schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from auth_service import service
from auth_service.deps import SettingsDep, SignerDep
from auth_service.domain import Role
from auth_service.schemas import (
    LoginRequest,
    MeUpdate,
    RefreshRequest,
    TokenPair,
    UserAdminRead,
    UserAdminUpdate,
    UserCreate,
    UserRead,
)
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import AdminUser, CurrentUser

router = APIRouter(prefix="/api/auth", tags=["auth"])
well_known = APIRouter(tags=["auth"])

JWKS_CACHE_CONTROL = "public, max-age=300"


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(body: UserCreate, session: SessionDep, settings: SettingsDep) -> UserRead:
    user = await service.register_user(
        session,
        settings=settings,
        email=body.email,
        password=body.password,
        full_name=body.full_name,
    )
    return UserRead.model_validate(user)


@router.post("/login")
async def login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, signer: SignerDep
) -> TokenPair:
    return await service.login(
        session, settings=settings, signer=signer, email=body.email, password=body.password
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
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def get_me(session: SessionDep, user: CurrentUser) -> UserRead:
    return UserRead.model_validate(await service.get_me(session, user_id=user.id))


@router.patch("/me")
async def update_me(body: MeUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    updated = await service.update_me(session, user_id=user.id, full_name=body.full_name)
    return UserRead.model_validate(updated)


@router.get("/admin/users")
async def list_users(
    session: SessionDep,
    admin: AdminUser,
    page: Pagination,
    q: Annotated[str | None, Query(max_length=200)] = None,
    role: Role | None = None,
) -> Page[UserAdminRead]:
    users, total = await service.list_users(session, q=q, role=role, page=page)
    return Page(
        items=[UserAdminRead.model_validate(u) for u in users],
        page=page.page,
        page_size=page.page_size,
        total=total,
    )


@router.patch("/admin/users/{user_id}")
async def update_user(
    user_id: uuid.UUID, body: UserAdminUpdate, session: SessionDep, admin: AdminUser
) -> UserAdminRead:
    user = await service.update_user_as_admin(
        session, actor_id=admin.id, user_id=user_id, role=body.role, disabled=body.disabled
    )
    return UserAdminRead.model_validate(user)


async def jwks(signer: SignerDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = JWKS_CACHE_CONTROL
    return signer.jwks


# Served at the root (what JWKS_URL points at) and under the prefix (through the gateway).
well_known.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
router.add_api_route("/.well-known/jwks.json", jwks, methods=["GET"])
