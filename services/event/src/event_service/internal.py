"""Internal routes (never routed by the gateway; need the internal credential)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from event_service import service
from event_service.deps import CtxDep
from event_service.schemas import HoldClaim, HoldClaimed, HoldRetake
from shared.openapi import errors
from shared.runtime import SessionDep
from shared.security import InternalCaller
from shared.types import SingleLine

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[InternalCaller])


# 401: the internal credential is checked by hand (InternalCaller), not by a user dependency.
@router.post(
    "/holds/retake",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldClaimed,
    responses=errors(401, 404, 409),
)
async def retake_hold(body: HoldRetake, session: SessionDep, ctx: CtxDep) -> HoldClaimed:
    return await service.retake_hold(session, ctx, data=body)


@router.post("/holds/{hold_id}/claim", response_model=HoldClaimed, responses=errors(401, 403, 409))
async def claim_hold(
    hold_id: Annotated[SingleLine, Path(min_length=1, max_length=64)],
    body: HoldClaim,
    session: SessionDep,
    ctx: CtxDep,
) -> HoldClaimed:
    return await service.claim_hold(
        session, ctx, hold_id=hold_id, user_id=body.user_id, extend_seconds=body.extend_seconds
    )
