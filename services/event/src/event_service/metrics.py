"""The event service's business metrics (names from DESIGN.md, "Observability").

Labels are outcomes only — never event, hold or user ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

HOLDS = Counter(
    "ticketing_holds_total",
    "Holds by outcome: created; refused as conflict (taken or sold out), limit (order, buyer, "
    "address, cooldown) or closed (not on sale); released by their owner; expired (general "
    "admission given back by the sweeper — a seat hold lapses silently in Redis); claimed by a "
    "booking.",
    ["outcome"],
)
# each outcome's counter, made once (so every outcome reads 0 from the start, and a hold pays a
# dictionary lookup, not a labels() call)
HOLD = {
    outcome: HOLDS.labels(outcome)
    for outcome in ("created", "conflict", "limit", "closed", "released", "expired", "claimed")
}

WAITING_ROOM_USERS = Gauge(
    "ticketing_waiting_room_users",
    "People in the events' waiting rooms: prequeue (before the draw), waiting, admitted (an "
    "admission still valid).",
    ["state"],
)
for _state in ("prequeue", "waiting", "admitted"):
    WAITING_ROOM_USERS.labels(_state)

WAITLIST_OFFERS = Counter(
    "ticketing_waitlist_offers_total",
    "Waiting-list offers (holds made for the next in line) by outcome: made, lapsed (the hold "
    "ended unsold; the places pass on), dropped (the entry could not be served: the buyer's "
    "limit).",
    ["outcome"],
)
WAITLIST = {outcome: WAITLIST_OFFERS.labels(outcome) for outcome in ("made", "lapsed", "dropped")}
