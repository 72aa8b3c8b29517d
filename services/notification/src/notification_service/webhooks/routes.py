"""``/api/notifications/webhooks`` (API.md "Webhooks"): thin — parse, call one use case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from notification_service.deps import ContextDep
from notification_service.webhooks import service
from notification_service.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from shared.openapi import errors, no_content
from shared.pagination import Page, Pagination
from shared.runtime import SessionDep
from shared.security import CurrentUser, OrganizerUser

router = APIRouter(prefix="/api/notifications/webhooks", tags=["webhooks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register an endpoint (organizer, admin); the secret is shown only here",
    responses=errors(403),
)
@router.post("/", status_code=status.HTTP_201_CREATED, include_in_schema=False)
async def create_webhook(
    body: WebhookCreate, user: OrganizerUser, session: SessionDep, ctx: ContextDep
) -> WebhookCreated:
    return await service.create_webhook(session, ctx, user=user, data=body)


@router.get("", summary="The caller's webhooks (without secrets)", responses=errors(422))
@router.get("/", include_in_schema=False)
async def list_webhooks(
    user: CurrentUser, session: SessionDep, page: Pagination
) -> Page[WebhookRead]:
    return await service.list_webhooks(session, user=user, page=page)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=no_content(204, "Deleted, with its deliveries"),
)
async def delete_webhook(webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    await service.delete_webhook(session, user=user, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    summary="The webhook's deliveries, newest first",
    responses=errors(422),
)
async def list_deliveries(
    webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep, page: Pagination
) -> Page[DeliveryRead]:
    return await service.list_deliveries(session, user=user, webhook_id=webhook_id, page=page)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses=no_content(202, "Queued to be sent again now"),
)
async def redeliver(
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    await service.redeliver(session, ctx, user=user, webhook_id=webhook_id, delivery_id=delivery_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)
