"""Organizer applications: apply (with an optional document), admins decide."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.domain import (
    ApplicationPending,
    ApplicationStatus,
    check_can_apply,
    role_after_approval,
)
from auth_service.orm import OrganizerApplication
from auth_service.service.common import announce, audit, get_active_user
from shared.contracts.auth import OrganizerDecidedV1
from shared.db import utcnow
from shared.errors import InvalidState, NotFound
from shared.pagination import PageParams


@dataclass(frozen=True, slots=True)
class Document:
    """An uploaded file whose type was already sniffed from its bytes."""

    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class ApplicationView:
    application: OrganizerApplication
    email: str
    full_name: str


def _target(application_id: uuid.UUID) -> str:
    return f"organizer_application:{application_id}"


async def apply(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    organization_name: str,
    details: str,
    document: Document | None,
    ip: str | None = None,
) -> ApplicationView:
    """File an application; one pending at a time, only with a verified email."""
    now = utcnow()
    async with session.begin():
        user = await get_active_user(session, user_id, lock=True)
        check_can_apply(role=user.role, email_verified=user.email_verified)
        application = await repository.add_application_if_none_pending(
            session,
            document=document.content if document else None,
            id=uuid.uuid4(),
            user_id=user.id,
            organization_name=organization_name,
            details=details,
            status=ApplicationStatus.PENDING.value,
            document_content_type=document.content_type if document else None,
            document_size=len(document.content) if document else None,
            document_sha256=hashlib.sha256(document.content).hexdigest() if document else None,
            created_at=now,
            updated_at=now,
        )
        if application is None:
            raise ApplicationPending()
        await audit(
            session,
            "organizer.applied",
            at=now,
            actor_id=user.id,
            target=_target(application.id),
            ip=ip,
            details={"has_document": document is not None},
        )
    return ApplicationView(application, user.email, user.full_name)


async def list_applications(
    session: AsyncSession, *, status: ApplicationStatus | None, page: PageParams
) -> tuple[list[ApplicationView], int]:
    async with session.begin():
        stmt = repository.list_applications_stmt(status=status.value if status else None)
        total = await session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = (await session.execute(stmt.limit(page.page_size).offset(page.offset))).all()
    return [ApplicationView(row[0], row[1], row[2]) for row in rows], int(total or 0)


async def decide(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    application_id: uuid.UUID,
    approve: bool,
    reason: str | None,
    ip: str | None = None,
) -> ApplicationView:
    """Approve (the user becomes an organizer) or reject a pending application; tell them."""
    now = utcnow()
    async with session.begin():
        application = await repository.lock_application(session, application_id)
        if application is None:
            raise NotFound("No such application.")
        if application.status != ApplicationStatus.PENDING.value:
            raise InvalidState(f"The application is already {application.status}.")
        user = await repository.lock_user(session, application.user_id)
        if user is None:
            raise NotFound("No such application.")
        if approve and (user.deleted_at is not None or user.disabled_at is not None):
            raise InvalidState("The applicant's account is disabled or deleted.")
        application.status = (
            ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        ).value
        application.reason = reason
        application.decided_by = actor_id
        application.decided_at = now
        application.updated_at = now
        if approve:
            user.role = role_after_approval(user.role)
            user.updated_at = now
        await announce(
            session,
            OrganizerDecidedV1(
                application_id=application.id,
                user_id=user.id,
                email=user.email,
                full_name=user.full_name,
                approved=approve,
                reason=reason,
            ),
            action="organizer.approved" if approve else "organizer.rejected",
            at=now,
            actor_id=actor_id,
            target=_target(application.id),
            ip=ip,
            details={"user_id": str(user.id), "reason": reason},
        )
    return ApplicationView(application, user.email, user.full_name)


async def get_document(
    session: AsyncSession, *, application_id: uuid.UUID
) -> tuple[OrganizerApplication, bytes]:
    async with session.begin():
        found = await repository.get_document(session, application_id)
    if found is None:
        raise NotFound("No document for this application.")
    return found
