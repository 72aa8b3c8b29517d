"""Annotated dependency aliases of the payment routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from payment_service.processor import PaymentProcessor
from payment_service.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _processor(request: Request) -> PaymentProcessor:
    processor: PaymentProcessor = request.app.state.runtime.state.processor
    return processor


SettingsDep = Annotated[Settings, Depends(_settings)]
ProcessorDep = Annotated[PaymentProcessor, Depends(_processor)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"),
]
