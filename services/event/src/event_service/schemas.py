"""HTTP shapes of the event service (inputs forbid unknown fields), and the bounds event holds the
bodies of its internal API to (those are shared contracts, which accept unknown fields)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from event_service.domain import MAX_PLACES_PER_EVENT, MAX_REHOLD_COOLDOWN_SECONDS
from shared.contracts.event import HoldClaimRequestV1, HoldRetakeRequestV1
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


class WaitingRoom(BaseModel):
    """The event's waiting room (README "Running an on-sale"): off unless enabled."""

    enabled: bool = False
    admit_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = 600
    # while this many admissions are live, admission pauses (None: no limit)
    max_active: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    # how long before the sales start people may join (placed by a draw at the start)
    opens_before_sale_seconds: Annotated[int, Field(ge=0, le=7 * 86_400)] = 900


class WaitingRoomInput(Input):
    """``waiting_room`` on create (defaults for what is left out) and PATCH (only what is given
    changes; ``max_active: null`` lifts the limit)."""

    enabled: bool | None = None
    admit_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    max_active: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    opens_before_sale_seconds: Annotated[int, Field(ge=0, le=7 * 86_400)] | None = None

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        for name in self.model_fields_set - {"max_active"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def applied_to(self, room: WaitingRoom) -> WaitingRoom:
        return room.model_copy(update=self.model_dump(exclude_unset=True))


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
    waiting_room: WaitingRoomInput | None = None


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
    waiting_room: WaitingRoomInput | None = None

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


class EventBase(BaseModel):
    """What every full reading of an event says of it (its tiers aside)."""

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
    waiting_room: WaitingRoom = WaitingRoom()


class EventRead(EventBase):
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


# --- the internal API's bodies ---------------------------------------------------------------

HoldRef = Annotated[SingleLine, Field(min_length=1, max_length=64)]
_SEAT_ID: TypeAdapter[str] = TypeAdapter(SeatId)
_CODE: TypeAdapter[str] = TypeAdapter(Code)
_HOLD_REF: TypeAdapter[str] = TypeAdapter(HoldRef)
_EXTEND: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=0, le=86_400)])
_TTL: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=1, le=86_400)])
MAX_PLACES_PER_RETAKE = 1000

Problems = list[tuple[str, str]]


def _problem(field: str, adapter: TypeAdapter[Any], value: object) -> Problems:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return [(field, exc.errors()[0]["msg"])]
    return []


def claim_problems(body: HoldClaimRequestV1) -> Problems:
    """What is wrong with a claim (empty: nothing)."""
    return _problem("extend_seconds", _EXTEND, body.extend_seconds)


def retake_problems(body: HoldRetakeRequestV1) -> Problems:
    """What is wrong with a re-take (empty: nothing): bounds, seat ids and tier codes, and the
    places are all reserved seats or all places of one general-admission tier."""
    problems: Problems = []
    if not 1 <= len(body.seats) <= MAX_PLACES_PER_RETAKE:
        problems.append(("seats", f"1 to {MAX_PLACES_PER_RETAKE} places"))
    problems += _problem("ttl_seconds", _TTL, body.ttl_seconds)
    if body.hold_id is not None:
        problems += _problem("hold_id", _HOLD_REF, body.hold_id)
    for index, seat in enumerate(body.seats):
        if seat.seat_id is not None:
            problems += _problem(f"seats.{index}.seat_id", _SEAT_ID, seat.seat_id)
        problems += _problem(f"seats.{index}.tier", _CODE, seat.tier)
    reserved = [s.seat_id for s in body.seats if s.seat_id is not None]
    general = {s.tier for s in body.seats if s.seat_id is None}
    if reserved and general:
        problems.append(("seats", "seats are either all reserved or all general admission"))
    if len(general) > 1:
        problems.append(("seats", "general-admission places of one tier only"))
    if len(set(reserved)) != len(reserved):
        problems.append(("seats", "seat ids repeat"))
    return problems


class QueueEntryRead(BaseModel):
    """A place in an event's waiting room (API.md "On-sale protection")."""

    event_id: uuid.UUID
    state: str  # prequeue, waiting, admitted
    position: int | None  # None during the pre-queue, until the draw
    ahead: int | None
    estimated_wait_seconds: int
    joined_at: datetime
    admission_token: str | None = None
    admission_expires_at: datetime | None = None


class WaitlistJoin(Input):
    """Join a tier's waiting list for ``quantity`` places (within the event's order limit)."""

    tier: Code
    quantity: Annotated[int, Field(ge=1, le=1000)]


class WaitlistEntryRead(BaseModel):
    """An entry of a tier's waiting list (API.md "On-sale protection ... waiting list")."""

    id: uuid.UUID
    event_id: uuid.UUID
    tier: str
    quantity: int
    position: int | None  # 1 = next in line; None once no longer waiting
    status: str  # waiting, offered, expired, fulfilled
    joined_at: datetime
    hold_id: str | None = None  # offered: the hold made for you (book it as any hold)
    expires_at: datetime | None = None  # offered: when the offer lapses
