"""Queries over auth's tables."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.orm import (
    AccountToken,
    AuditLog,
    OrganizerApplication,
    OrganizerDocument,
    RefreshToken,
    SessionRevocation,
    UserAccount,
)

# --- accounts ---------------------------------------------------------------------------


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserAccount | None:
    return await session.get(UserAccount, user_id)


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.id == user_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_user_by_email(session: AsyncSession, email: str) -> UserAccount | None:
    """The live account with this email; failing that, the most recently deleted one (so that
    signing in to a deleted account says so instead of "wrong password")."""
    stmt = (
        select(UserAccount)
        .where(UserAccount.email == email)
        .order_by(UserAccount.deleted_at.is_(None).desc(), UserAccount.deleted_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_live_user_by_email(session: AsyncSession, email: str) -> UserAccount | None:
    stmt = select(UserAccount).where(UserAccount.email == email, UserAccount.deleted_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_user_if_new(session: AsyncSession, **values: Any) -> UserAccount | None:
    """Insert an account unless a live one has its email (race-free); None when it was taken."""
    stmt = (
        insert(UserAccount)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[UserAccount.email], index_where=text("deleted_at IS NULL")
        )
        .returning(UserAccount)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_users_stmt(*, q: str | None, role: str | None, include_deleted: bool) -> Select[Any]:
    stmt = select(UserAccount)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                UserAccount.email.ilike(pattern, escape="\\"),
                UserAccount.full_name.ilike(pattern, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(UserAccount.role == role)
    if not include_deleted:
        stmt = stmt.where(UserAccount.deleted_at.is_(None))
    return stmt.order_by(UserAccount.created_at.desc(), UserAccount.id)


# --- refresh tokens ---------------------------------------------------------------------


async def add_refresh_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
    session_expires_at: datetime,
) -> None:
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
            session_expires_at=session_expires_at,
        )
    )
    await session.flush()


async def lock_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_refresh_tokens(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    families: Collection[uuid.UUID] | None = None,
    except_family: uuid.UUID | None = None,
) -> list[tuple[uuid.UUID, datetime]]:
    """Revoke the user's live refresh tokens — of ``families`` only, or of every family but
    ``except_family`` — and return (family, issued at) of each one revoked."""
    conditions = [RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)]
    if families is not None:
        conditions.append(RefreshToken.family_id.in_(list(families)))
    if except_family is not None:
        conditions.append(RefreshToken.family_id != except_family)
    result = await session.execute(
        update(RefreshToken)
        .where(*conditions)
        .values(revoked_at=now)
        .returning(RefreshToken.family_id, RefreshToken.created_at)
    )
    return [(row.family_id, row.created_at) for row in result]


# --- session revocations ----------------------------------------------------------------


async def add_revocation(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_ids: list[uuid.UUID],
    reason: str,
    revoked_at: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        SessionRevocation(
            id=uuid.uuid4(),
            user_id=user_id,
            session_ids=session_ids,
            reason=reason,
            revoked_at=revoked_at,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def list_revocations_in_force(
    session: AsyncSession, *, now: datetime
) -> list[SessionRevocation]:
    stmt = (
        select(SessionRevocation)
        .where(SessionRevocation.expires_at > now)
        .order_by(SessionRevocation.revoked_at, SessionRevocation.id)
    )
    return list((await session.execute(stmt)).scalars())


async def delete_revocations_expired(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(
        delete(SessionRevocation).where(SessionRevocation.expires_at <= before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- one-time tokens --------------------------------------------------------------------


async def add_account_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purpose: str,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Store a new one-time token; the user's earlier unused ones of that purpose die."""
    await retire_account_tokens(session, user_id=user_id, purpose=purpose, now=now)
    session.add(
        AccountToken(
            id=uuid.uuid4(),
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def get_account_token(
    session: AsyncSession, *, token_hash: str, purpose: str, lock: bool = False
) -> AccountToken | None:
    stmt = select(AccountToken).where(
        AccountToken.token_hash == token_hash, AccountToken.purpose == purpose
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def retire_account_tokens(
    session: AsyncSession, *, user_id: uuid.UUID, purpose: str, now: datetime
) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


# --- organizer applications -------------------------------------------------------------


async def add_application_if_none_pending(
    session: AsyncSession, *, document: bytes | None, **values: Any
) -> OrganizerApplication | None:
    """Insert a pending application unless the user has one (race-free); None when they do."""
    stmt = (
        insert(OrganizerApplication)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[OrganizerApplication.user_id], index_where=text("status = 'pending'")
        )
        .returning(OrganizerApplication)
    )
    application = (await session.execute(stmt)).scalar_one_or_none()
    if application is not None and document is not None:
        session.add(OrganizerDocument(application_id=application.id, content=document))
        await session.flush()
    return application


async def lock_application(
    session: AsyncSession, application_id: uuid.UUID
) -> OrganizerApplication | None:
    stmt = (
        select(OrganizerApplication)
        .where(OrganizerApplication.id == application_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def list_applications_stmt(*, status: str | None) -> Select[OrganizerApplication, str, str]:
    stmt = select(OrganizerApplication, UserAccount.email, UserAccount.full_name).join(
        UserAccount, UserAccount.id == OrganizerApplication.user_id
    )
    if status:
        stmt = stmt.where(OrganizerApplication.status == status)
    return stmt.order_by(OrganizerApplication.created_at.desc(), OrganizerApplication.id)


async def get_document(
    session: AsyncSession, application_id: uuid.UUID
) -> tuple[OrganizerApplication, bytes] | None:
    stmt = (
        select(OrganizerApplication, OrganizerDocument.content)
        .join(OrganizerDocument, OrganizerDocument.application_id == OrganizerApplication.id)
        .where(OrganizerApplication.id == application_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


# --- audit log --------------------------------------------------------------------------


async def add_audit(
    session: AsyncSession,
    *,
    action: str,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    target: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            id=uuid.uuid4(),
            actor_id=actor_id,
            action=action,
            target=target,
            ip=ip,
            at=at,
            details=details or {},
        )
    )  # written with the transaction's commit: a batch of audit rows is one INSERT


def list_audit_stmt(*, actor_id: uuid.UUID | None, action: str | None) -> Select[Any]:
    stmt = select(AuditLog)
    if actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id)
