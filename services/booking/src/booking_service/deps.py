"""Annotated dependencies for the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from booking_service.clients import EventClient
from booking_service.settings import Settings
from booking_service.tickets import TicketKeyRing
from shared.idempotency import IdempotencyKeyHeader
from shared.runtime import RuntimeDep


async def get_settings(rt: RuntimeDep) -> Settings:
    settings = rt.settings
    assert isinstance(settings, Settings)
    return settings


async def get_event_client(rt: RuntimeDep) -> EventClient:
    return EventClient(rt.http, rt.settings)


async def get_ticket_keys(rt: RuntimeDep) -> TicketKeyRing:
    keys: TicketKeyRing = rt.state.ticket_keys
    return keys


SettingsDep = Annotated[Settings, Depends(get_settings)]
TicketKeysDep = Annotated[TicketKeyRing, Depends(get_ticket_keys)]
EventClientDep = Annotated[EventClient, Depends(get_event_client)]
IdempotencyKey = IdempotencyKeyHeader
