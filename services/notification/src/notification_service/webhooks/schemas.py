"""Bodies of ``/api/notifications/webhooks``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.types import Input, SingleLine

# the messages a webhook may hear (API.md "Webhooks")
WebhookType = Literal[
    "booking.confirmed",
    "booking.cancelled",
    "booking.expired",
    "payment.refunded",
    "event.cancelled",
    "ticket.checked_in",
]


class WebhookCreate(Input):
    url: Annotated[SingleLine, Field(min_length=8, max_length=2000)]
    events: Annotated[list[WebhookType], Field(min_length=1, max_length=6)]
    event_id: uuid.UUID | None = None  # only this event's messages (else all the owner's)


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    event_id: uuid.UUID | None
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str  # shown only in the answer to the creation


class DeliveryRead(BaseModel):
    id: uuid.UUID
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None  # None once delivered or failed
    created_at: datetime
