"""Annotated dependency aliases of the payment routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from payment_service.processor import PaymentProcessor
from payment_service.settings import Settings
from shared.idempotency import IdempotencyKeyHeader


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _processor(request: Request) -> PaymentProcessor:
    processor: PaymentProcessor = request.app.state.runtime.state.processor
    return processor


SettingsDep = Annotated[Settings, Depends(_settings)]
ProcessorDep = Annotated[PaymentProcessor, Depends(_processor)]
IdempotencyKey = IdempotencyKeyHeader
