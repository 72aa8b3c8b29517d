"""Admin use cases over accounts, and the audit log (written here and from consumed messages)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.domain import Role, SessionEndReason, is_demotion
from auth_service.orm import AuditLog, UserAccount
from auth_service.service.common import audit, user_target
from auth_service.service.revocation import end_sessions
from auth_service.settings import Settings
from shared.db import utcnow
from shared.errors import InvalidState, NotFound
from shared.pagination import PageParams, paginate


async def list_users(
    session: AsyncSession,
    *,
    q: str | None,
    role: Role | None,
    include_deleted: bool,
    page: PageParams,
) -> tuple[list[UserAccount], int]:
    async with session.begin():
        stmt = repository.list_users_stmt(
            q=q, role=role.value if role else None, include_deleted=include_deleted
        )
        return await paginate(session, stmt, page)


async def update_user_as_admin(
    session: AsyncSession,
    *,
    settings: Settings,
    actor_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role | None,
    disabled: bool | None,
    ip: str | None = None,
) -> UserAccount:
    """Change a user's role and/or disable them. A demotion or a disable ends all their
    sessions, so no token still carries powers the account no longer has."""
    now = utcnow()
    async with session.begin():
        user = await repository.lock_user(session, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("No such user.")
        demotes_self = role is not None and role is not Role.ADMIN
        if user.id == actor_id and (demotes_self or disabled):
            raise InvalidState("Admins cannot demote or disable their own account.")
        changes: dict[str, Any] = {}
        ends: SessionEndReason | None = None
        if role is not None and user.role != role.value:
            changes["role"] = {"from": user.role, "to": role.value}
            if is_demotion(user.role, role.value):
                ends = SessionEndReason.ROLE_CHANGED
            user.role = role.value
        if disabled is True and user.disabled_at is None:
            user.disabled_at = now
            changes["disabled"] = True
            ends = SessionEndReason.DISABLED
        elif disabled is False and user.disabled_at is not None:
            user.disabled_at = None
            changes["disabled"] = False
        if ends is not None:
            changes["sessions_revoked"] = await end_sessions(
                session, settings=settings, user_id=user.id, reason=ends, now=now
            )
        if changes:
            user.updated_at = now
            await audit(
                session,
                "admin.user_updated",
                at=now,
                actor_id=actor_id,
                target=user_target(user.id),
                ip=ip,
                details=changes,
            )
    return user


async def delete_user(
    session: AsyncSession,
    *,
    settings: Settings,
    actor_id: uuid.UUID,
    user_id: uuid.UUID,
    ip: str | None = None,
) -> None:
    """Soft-delete an account: it can no longer sign in, its sessions end, its email is free."""
    now = utcnow()
    async with session.begin():
        user = await repository.lock_user(session, user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("No such user.")
        if user.id == actor_id:
            raise InvalidState("Admins cannot delete their own account.")
        user.deleted_at = now
        user.updated_at = now
        revoked = await end_sessions(
            session,
            settings=settings,
            user_id=user.id,
            reason=SessionEndReason.DELETED,
            now=now,
        )
        await audit(
            session,
            "admin.user_deleted",
            at=now,
            actor_id=actor_id,
            target=user_target(user.id),
            ip=ip,
            details={"sessions_revoked": revoked},
        )


async def list_audit_logs(
    session: AsyncSession, *, actor_id: uuid.UUID | None, action: str | None, page: PageParams
) -> tuple[list[AuditLog], int]:
    async with session.begin():
        stmt = repository.list_audit_stmt(actor_id=actor_id, action=action)
        return await paginate(session, stmt, page)


async def record_message(
    session: AsyncSession,
    *,
    action: str,
    at: datetime,
    actor_id: uuid.UUID,
    target: str,
    details: dict[str, Any],
) -> None:
    """An audit row for a consumed lifecycle message (the consumer's transaction)."""
    await audit(session, action, at=at, actor_id=actor_id, target=target, details=details)
