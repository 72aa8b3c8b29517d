"""Annotated dependency aliases of the event service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from event_service.context import Context
from event_service.settings import Settings
from shared.pagination import MAX_PAGE_SIZE, PageParams
from shared.runtime import context_of, settings_of
from shared.security import Principal, get_current_user

SettingsDep = Annotated[Settings, Depends(settings_of)]
ContextDep = Annotated[Context, Depends(context_of)]

_optional_bearer = HTTPBearer(auto_error=False)


# Dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
# which costs more than everything else a cached read does.


async def get_page(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> PageParams:
    """``shared.pagination.Pagination`` without the worker thread."""
    return PageParams(page=page, page_size=page_size)


async def get_optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    """The caller if a token was sent (a bad token is still 401), else None."""
    if credentials is None:
        return None
    return await get_current_user(request, credentials)


Paging = Annotated[PageParams, Depends(get_page)]
OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
