"""Annotated dependency aliases of the event service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from event_service.service import Ctx
from shared.runtime import get_runtime
from shared.security import Principal, get_current_user

_optional_bearer = HTTPBearer(auto_error=False)


def get_ctx(request: Request) -> Ctx:
    ctx: Ctx = get_runtime(request).state.ctx
    return ctx


async def get_optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    """The caller if a token was sent (a bad token is still 401), else None."""
    if credentials is None:
        return None
    return await get_current_user(request, credentials)


CtxDep = Annotated[Ctx, Depends(get_ctx)]
OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
