"""HTTP shapes of the event service (inputs forbid unknown fields)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Label = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,16}$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierCreate(_Input):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=100)]
    price: Annotated[int, Field(ge=0, le=100_000_000)]
    capacity: Annotated[int | None, Field(ge=1, le=1_000_000)] = None


class SectionCreate(_Input):
    section: Label
    tier: Code
    rows: Annotated[list[Label], Field(min_length=1, max_length=1000)]
    seats_per_row: Annotated[int, Field(ge=1, le=10_000)]


class EventCreate(_Input):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=20_000)] = ""
    location: Annotated[str, Field(min_length=1, max_length=300)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    sales_start_at: AwareDatetime | None = None
    sales_end_at: AwareDatetime | None = None
    max_tickets_per_order: Annotated[int, Field(ge=1, le=100)] = 10
    max_tickets_per_buyer: Annotated[int, Field(ge=1, le=1000)] = 10
    tiers: Annotated[list[TierCreate], Field(min_length=1, max_length=50)]
    seating: Annotated[list[SectionCreate], Field(max_length=1000)] = []


class EventUpdate(_Input):
    """PATCH: only the fields given change. ``tiers`` / ``seating`` replace the layout, and only
    while nothing is held or sold."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[str, Field(max_length=20_000)] | None = None
    location: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    sales_start_at: AwareDatetime | None = None
    sales_end_at: AwareDatetime | None = None
    max_tickets_per_order: Annotated[int, Field(ge=1, le=100)] | None = None
    max_tickets_per_buyer: Annotated[int, Field(ge=1, le=1000)] | None = None
    tiers: Annotated[list[TierCreate], Field(min_length=1, max_length=50)] | None = None
    seating: Annotated[list[SectionCreate], Field(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        # an explicit null only makes sense for the open end of the sales window
        for name in self.model_fields_set - {"sales_end_at"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EventCancel(_Input):
    reason: Annotated[str, Field(max_length=500)] | None = None


class TierRead(BaseModel):
    code: str
    name: str
    price: int
    general_admission: bool
    capacity: int
    available: int
    held: int
    sold: int


class EventRead(BaseModel):
    id: uuid.UUID
    organizer_id: uuid.UUID
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    sales_start_at: datetime
    sales_end_at: datetime | None
    max_tickets_per_order: int
    max_tickets_per_buyer: int
    status: str
    created_at: datetime
    updated_at: datetime
    capacity: int
    available: int
    tiers: list[TierRead]


class EventSummary(BaseModel):
    id: uuid.UUID
    organizer_id: uuid.UUID
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    status: str
    min_price: int | None
    capacity: int
    available: int


class SeatRead(BaseModel):
    seat_id: str
    section: str
    row: str
    number: int
    tier: str
    price: int
    status: str


class HoldCreate(_Input):
    """``{seat_ids}`` for reserved seating, or ``{tier, quantity}`` for general admission."""

    seat_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
        Field(min_length=1, max_length=1000),
    ] = None
    tier: Code | None = None
    quantity: Annotated[int | None, Field(ge=1, le=1000)] = None
    best_available: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        general = self.tier is not None or self.quantity is not None
        if self.seat_ids is not None and (general or self.best_available):
            raise ValueError("give either seat_ids, or tier and quantity")
        if self.seat_ids is None and (self.tier is None or self.quantity is None):
            raise ValueError("give seat_ids, or tier and quantity")
        if self.seat_ids is not None and len(set(self.seat_ids)) != len(self.seat_ids):
            raise ValueError("seat_ids repeat")
        return self


class HeldSeat(BaseModel):
    seat_id: str | None
    tier: str
    price: int


class HoldRead(BaseModel):
    hold_id: str
    event_id: uuid.UUID
    seats: list[HeldSeat]
    tier: str | None
    quantity: int
    amount: int
    currency: str
    created_at: datetime
    expires_at: datetime


class HoldClaim(_Input):
    user_id: uuid.UUID
    extend_seconds: Annotated[int, Field(ge=0, le=86_400)] = 900


class RetakeSeat(_Input):
    seat_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    tier: Code


class HoldRetake(_Input):
    """Booking re-takes the places of a booking paid after it expired (a new, claimed hold)."""

    event_id: uuid.UUID
    user_id: uuid.UUID
    seats: Annotated[list[RetakeSeat], Field(min_length=1, max_length=1000)]
    ttl_seconds: Annotated[int, Field(ge=1, le=86_400)] = 900

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        reserved = [s.seat_id for s in self.seats if s.seat_id is not None]
        general = {s.tier for s in self.seats if s.seat_id is None}
        if reserved and general:
            raise ValueError("seats are either all reserved or all general admission")
        if len(general) > 1:
            raise ValueError("general-admission places of one tier only")
        if len(set(reserved)) != len(reserved):
            raise ValueError("seat ids repeat")
        return self


class ClaimedEvent(BaseModel):
    title: str
    starts_at: datetime
    location: str
    organizer_id: uuid.UUID


class HoldClaimed(BaseModel):
    hold_id: str
    event_id: uuid.UUID
    user_id: uuid.UUID
    seats: list[HeldSeat]
    tier: str | None
    quantity: int
    amount: int
    currency: str
    expires_at: datetime
    event: ClaimedEvent
