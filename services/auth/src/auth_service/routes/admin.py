"""Admin: users (list, role, disable, soft delete) and the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from auth_service import service
from auth_service.deps import ClientIP, SettingsDep
from auth_service.domain import Role
from auth_service.schemas import AuditLogRead, UserAdminRead, UserAdminUpdate
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import AdminUser
from shared.types import SingleLine

router = APIRouter(prefix="/api/auth/admin", tags=["admin"])


@router.get("/users")
async def list_users(
    session: SessionDep,
    admin: AdminUser,
    page: Pagination,
    q: Annotated[SingleLine | None, Query(max_length=200)] = None,
    role: Role | None = None,
    include_deleted: bool = False,
) -> Page[UserAdminRead]:
    users, total = await service.list_users(
        session, q=q, role=role, include_deleted=include_deleted, page=page
    )
    return Page(
        items=[UserAdminRead.model_validate(u) for u in users],
        page=page.page,
        page_size=page.page_size,
        total=total,
    )


@router.patch("/users/{user_id}", responses=errors(409))
async def update_user(
    user_id: uuid.UUID,
    body: UserAdminUpdate,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    ip: ClientIP,
) -> UserAdminRead:
    user = await service.update_user_as_admin(
        session,
        settings=settings,
        actor_id=admin.id,
        user_id=user_id,
        role=body.role,
        disabled=body.disabled,
        ip=ip,
    )
    return UserAdminRead.model_validate(user)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(409),
)
async def delete_user(
    user_id: uuid.UUID, session: SessionDep, settings: SettingsDep, admin: AdminUser, ip: ClientIP
) -> Response:
    await service.delete_user(session, settings=settings, actor_id=admin.id, user_id=user_id, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit-logs")
async def list_audit_logs(
    session: SessionDep,
    admin: AdminUser,
    page: Pagination,
    actor_id: uuid.UUID | None = None,
    action: Annotated[SingleLine | None, Query(min_length=1, max_length=64)] = None,
) -> Page[AuditLogRead]:
    rows, total = await service.list_audit_logs(
        session, actor_id=actor_id, action=action, page=page
    )
    return Page(
        items=[AuditLogRead.model_validate(r) for r in rows],
        page=page.page,
        page_size=page.page_size,
        total=total,
    )
