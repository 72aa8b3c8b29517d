"""Organizer applications: apply (multipart), admins list, decide and download documents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from auth_service import service
from auth_service.deps import ClientIP, SettingsDep
from auth_service.documents import read_document
from auth_service.domain import DOCUMENT_TYPES, ApplicationStatus
from auth_service.schemas import (
    ApplicationDecision,
    ApplicationDetails,
    ApplicationRead,
    DocumentRead,
    OrganizationName,
)
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import AdminUser, CurrentUser

router = APIRouter(prefix="/api/auth", tags=["organizer applications"])


def _read(view: service.ApplicationView) -> ApplicationRead:
    a = view.application
    document = (
        DocumentRead(
            content_type=a.document_content_type,
            size=a.document_size or 0,
            sha256=a.document_sha256 or "",
        )
        if a.document_content_type
        else None
    )
    return ApplicationRead(
        id=a.id,
        user_id=a.user_id,
        email=view.email,
        full_name=view.full_name,
        organization_name=a.organization_name,
        details=a.details,
        status=ApplicationStatus(a.status),
        reason=a.reason,
        document=document,
        created_at=a.created_at,
        decided_at=a.decided_at,
        decided_by=a.decided_by,
    )


@router.post(
    "/organizer-applications", status_code=status.HTTP_201_CREATED, responses=errors(403, 404, 409)
)
async def apply(
    organization_name: Annotated[OrganizationName, Form()],
    details: Annotated[ApplicationDetails, Form()],
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    ip: ClientIP,
    document: Annotated[UploadFile | None, File()] = None,
) -> ApplicationRead:
    upload = await read_document(document, max_bytes=settings.ORGANIZER_DOCUMENT_MAX_BYTES)
    view = await service.apply(
        session,
        user_id=user.id,
        organization_name=organization_name,
        details=details,
        document=upload,
        ip=ip,
    )
    return _read(view)


@router.get("/admin/organizer-applications")
async def list_applications(
    session: SessionDep,
    admin: AdminUser,
    page: Pagination,
    status: ApplicationStatus | None = None,
) -> Page[ApplicationRead]:
    views, total = await service.list_applications(session, status=status, page=page)
    return Page(
        items=[_read(v) for v in views], page=page.page, page_size=page.page_size, total=total
    )


def _decision(*, approve: bool) -> Callable[..., Awaitable[ApplicationRead]]:
    """The approve or the reject route: the same request, one answer apart."""

    async def decide(
        application_id: uuid.UUID,
        session: SessionDep,
        admin: AdminUser,
        ip: ClientIP,
        body: ApplicationDecision | None = None,
    ) -> ApplicationRead:
        view = await service.decide(
            session,
            actor_id=admin.id,
            application_id=application_id,
            approve=approve,
            reason=body.reason if body else None,
            ip=ip,
        )
        return _read(view)

    return decide


for _name, _approve in (("approve", True), ("reject", False)):
    router.add_api_route(
        f"/admin/organizer-applications/{{application_id}}/{_name}",
        _decision(approve=_approve),
        methods=["POST"],
        name=_name,
        responses=errors(409),
    )


@router.get(
    "/admin/organizer-applications/{application_id}/document",
    response_class=Response,
    responses={200: {"content": {t: {} for t in DOCUMENT_TYPES}}},
)
async def download_document(
    application_id: uuid.UUID, session: SessionDep, admin: AdminUser
) -> Response:
    application, content = await service.get_document(session, application_id=application_id)
    content_type = application.document_content_type or "application/octet-stream"
    extension = DOCUMENT_TYPES.get(content_type, "bin")
    return Response(
        content=content,
        media_type=content_type,
        headers={
            "Content-Disposition": (
                f'attachment; filename="organizer-application-{application.id}.{extension}"'
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
