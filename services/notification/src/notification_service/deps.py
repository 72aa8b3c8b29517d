"""Annotated dependency aliases of the notification service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from notification_service.context import Context
from notification_service.settings import Settings
from shared.runtime import context_of, settings_of

SettingsDep = Annotated[Settings, Depends(settings_of)]
ContextDep = Annotated[Context, Depends(context_of)]
