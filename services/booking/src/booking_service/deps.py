"""Annotated dependencies for the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from booking_service.context import Context
from booking_service.settings import Settings
from shared.idempotency import IdempotencyKeyHeader
from shared.runtime import context_of, settings_of
from shared.watch import WaitSeconds

SettingsDep = Annotated[Settings, Depends(settings_of)]
ContextDep = Annotated[Context, Depends(context_of)]

IdempotencyKey = IdempotencyKeyHeader

__all__ = ["ContextDep", "IdempotencyKey", "SettingsDep", "WaitSeconds"]
