"""Annotated dependency aliases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from auth_service.settings import Settings
from auth_service.throttle import LoginThrottle
from auth_service.tokens import TokenSigner
from shared.runtime import RuntimeDep
from shared.security import CurrentUser


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


async def get_throttle(
    rt: RuntimeDep, settings: Annotated[Settings, Depends(get_settings)]
) -> LoginThrottle:
    return LoginThrottle(rt.redis, settings)


async def get_client_ip(request: Request) -> str | None:
    """The caller's address: uvicorn runs with --proxy-headers and trusts only the gateway
    (--forwarded-allow-ips), so this is the real client behind nginx."""
    return request.client.host if request.client else None


async def get_session_id(user: CurrentUser) -> uuid.UUID | None:
    """The session (refresh-token family, ``sid`` claim) of the caller's verified token."""
    try:
        return uuid.UUID(user.session_id) if user.session_id else None
    except ValueError:
        return None


SettingsDep = Annotated[Settings, Depends(get_settings)]
SignerDep = Annotated[TokenSigner, Depends(get_signer)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
ClientIP = Annotated[str | None, Depends(get_client_ip)]
SessionId = Annotated[uuid.UUID | None, Depends(get_session_id)]
