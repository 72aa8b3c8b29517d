"""Annotated dependency aliases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from auth_service.context import Context
from auth_service.settings import Settings
from shared.runtime import context_of, settings_of
from shared.security import CurrentUser

SettingsDep = Annotated[Settings, Depends(settings_of)]
ContextDep = Annotated[Context, Depends(context_of)]


async def get_client_ip(request: Request) -> str | None:
    """The caller's address: uvicorn runs with --proxy-headers and trusts only the gateway
    (--forwarded-allow-ips), so this is the real client behind nginx."""
    return request.client.host if request.client else None


async def get_session_id(user: CurrentUser) -> uuid.UUID | None:
    """The session of the caller's verified token (its ``sid`` claim, ``Principal.session_id``:
    the refresh-token family); None for a token without one."""
    try:
        return uuid.UUID(user.session_id) if user.session_id else None
    except ValueError:
        return None


ClientIP = Annotated[str | None, Depends(get_client_ip)]
SessionId = Annotated[uuid.UUID | None, Depends(get_session_id)]
