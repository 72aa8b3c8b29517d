"""Annotated dependency aliases of the payment routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from payment_service.context import Context
from payment_service.settings import Settings
from shared.idempotency import IdempotencyKeyHeader
from shared.runtime import context_of, settings_of

SettingsDep = Annotated[Settings, Depends(settings_of)]
ContextDep = Annotated[Context, Depends(context_of)]

IdempotencyKey = IdempotencyKeyHeader
