"""Annotated dependency aliases of the notification service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from notification_service.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
