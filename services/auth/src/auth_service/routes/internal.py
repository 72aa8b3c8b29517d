"""Internal endpoints for other services (never routed by the gateway; internal token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from auth_service import service
from shared.revocation import revoked_payload
from shared.runtime import SessionDep
from shared.security import InternalCaller

# Out of the schema: it documents the API the gateway serves, and the gateway refuses these.
router = APIRouter(
    prefix="/internal", tags=["internal"], dependencies=[InternalCaller], include_in_schema=False
)


@router.get("/revocations")
async def revocations(session: SessionDep) -> list[dict[str, object]]:
    """The session revocations still in force (each service's start-up and periodic sync)."""
    return revoked_payload(await service.revocations_in_force(session))
