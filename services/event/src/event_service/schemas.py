"""HTTP shapes of the event service (inputs forbid unknown fields)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from event_service.domain import MAX_PLACES_PER_EVENT, MAX_REHOLD_COOLDOWN_SECONDS
from shared.types import CurrencyCode, Input, MultiLine, SingleLine, Timestamp

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Label = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,16}$")]
Title = Annotated[SingleLine, Field(min_length=1, max_length=200)]
Description = Annotated[MultiLine, Field(max_length=20_000)]
Location = Annotated[SingleLine, Field(min_length=1, max_length=300)]
PerOrder = Annotated[int, Field(ge=1, le=100)]
PerBuyer = Annotated[int, Field(ge=1, le=1000)]
SeatId = Annotated[SingleLine, Field(min_length=1, max_length=64)]


class TierCreate(Input):
    code: Code
    name: Annotated[SingleLine, Field(min_length=1, max_length=100)]
    price: Annotated[int, Field(ge=0, le=100_000_000)]
    # general admission; without it the tier gets seats from ``seating`` (or has none yet)
    capacity: Annotated[int | None, Field(ge=1, le=MAX_PLACES_PER_EVENT)] = None


class HoldRules(BaseModel):
    """The event's defences against inventory hoarding (see the README)."""

    verified_email_required: bool = False
    max_live_holds_per_address: Annotated[int | None, Field(ge=1, le=10_000)] = 20
    rehold_cooldown_seconds: Annotated[int, Field(ge=0, le=MAX_REHOLD_COOLDOWN_SECONDS)] = 60


class HoldRulesInput(Input):
    """``hold_rules`` on create (defaults for what is left out) and PATCH (only what is given
    changes; ``max_live_holds_per_address: null`` lifts the cap)."""

    verified_email_required: bool | None = None
    max_live_holds_per_address: Annotated[int | None, Field(ge=1, le=10_000)] = None
    rehold_cooldown_seconds: Annotated[int, Field(ge=0, le=MAX_REHOLD_COOLDOWN_SECONDS)] | None = (
        None
    )

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        for name in self.model_fields_set - {"max_live_holds_per_address"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def applied_to(self, rules: HoldRules) -> HoldRules:
        return rules.model_copy(update=self.model_dump(exclude_unset=True))


class SectionCreate(Input):
    section: Label
    tier: Code
    rows: Annotated[list[Label], Field(min_length=1, max_length=1000)]
    seats_per_row: Annotated[int, Field(ge=1, le=10_000)]


class EventCreate(Input):
    title: Title
    description: Description = ""
    location: Location
    starts_at: Timestamp
    ends_at: Timestamp
    currency: CurrencyCode
    sales_start_at: Timestamp | None = None
    sales_end_at: Timestamp | None = None
    max_tickets_per_order: PerOrder = 10
    max_tickets_per_buyer: PerBuyer = 10
    tiers: Annotated[list[TierCreate], Field(min_length=1, max_length=50)]
    seating: Annotated[list[SectionCreate], Field(max_length=1000)] = []
    hold_rules: HoldRulesInput | None = None


class EventUpdate(Input):
    """PATCH: only the fields given change. ``tiers`` / ``seating`` replace the layout, and only
    while nothing is held or sold."""

    title: Title | None = None
    description: Description | None = None
    location: Location | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    sales_start_at: Timestamp | None = None
    sales_end_at: Timestamp | None = None
    max_tickets_per_order: PerOrder | None = None
    max_tickets_per_buyer: PerBuyer | None = None
    tiers: Annotated[list[TierCreate], Field(min_length=1, max_length=50)] | None = None
    seating: Annotated[list[SectionCreate], Field(max_length=1000)] | None = None
    hold_rules: HoldRulesInput | None = None

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        # an explicit null only makes sense for the open end of the sales window
        for name in self.model_fields_set - {"sales_end_at"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EventCancel(Input):
    reason: Annotated[MultiLine, Field(max_length=500)] | None = None


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
    hold_rules: HoldRules
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


class HoldCreate(Input):
    """``{seat_ids}`` for reserved seating, or ``{tier, quantity}`` for general admission."""

    seat_ids: Annotated[
        list[SeatId] | None,
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


class HoldClaim(Input):
    user_id: uuid.UUID
    extend_seconds: Annotated[int, Field(ge=0, le=86_400)] = 900


class RetakeSeat(Input):
    seat_id: SeatId | None = None
    tier: Code


class HoldRetake(Input):
    """Booking re-takes the places of a booking paid after it expired (a new, claimed hold).
    ``hold_id``: the booking's earlier hold — if it is still live, its places are not counted
    against the buyer's limit a second time."""

    event_id: uuid.UUID
    user_id: uuid.UUID
    seats: Annotated[list[RetakeSeat], Field(min_length=1, max_length=1000)]
    ttl_seconds: Annotated[int, Field(ge=1, le=86_400)] = 900
    hold_id: Annotated[SingleLine, Field(min_length=1, max_length=64)] | None = None

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
