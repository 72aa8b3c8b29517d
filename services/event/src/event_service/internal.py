"""Internal routes (never routed by the gateway; need the internal credential). Bodies and
answers are the shared contracts of ``shared.contracts.event``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from event_service.deps import ContextDep
from event_service.service import retake
from shared.contracts.event import HoldClaimedV1, HoldClaimRequestV1, HoldRetakeRequestV1
from shared.openapi import errors
from shared.runtime import SessionDep
from shared.security import InternalCaller
from shared.types import SingleLine

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[InternalCaller])


# 401: the internal credential is checked by hand (InternalCaller), not by a user dependency.
@router.post(
    "/holds/retake",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldClaimedV1,
    responses=errors(401, 404, 409),
)
async def retake_hold(
    body: HoldRetakeRequestV1, session: SessionDep, ctx: ContextDep
) -> HoldClaimedV1:
    return await retake.retake_hold(session, ctx, data=body)


@router.post(
    "/holds/{hold_id}/claim", response_model=HoldClaimedV1, responses=errors(401, 403, 409)
)
async def claim_hold(
    hold_id: Annotated[SingleLine, Path(min_length=1, max_length=64)],
    body: HoldClaimRequestV1,
    ctx: ContextDep,
) -> Response:
    claimed = await retake.claim_hold(ctx, hold_id=hold_id, data=body)
    # serialized once, without FastAPI validating the answer again against response_model
    return Response(claimed.model_dump_json(), media_type="application/json")
