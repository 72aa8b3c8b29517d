"""Use cases of the event service: one use case = one transaction; messages via the outbox."""

from event_service.service.browse import SeatMap, event_detail, event_listing, seat_map
from event_service.service.context import Ctx
from event_service.service.events import (
    cancel_event,
    create_event,
    delete_event,
    list_my_events,
    publish_event,
    update_event,
)
from event_service.service.holding import create_hold, get_hold, release_hold
from event_service.service.retake import claim_hold, retake_hold
from event_service.service.sales import record_sale, sweep_holds, undo_sale

__all__ = [
    "Ctx",
    "SeatMap",
    "cancel_event",
    "claim_hold",
    "create_event",
    "create_hold",
    "delete_event",
    "event_detail",
    "event_listing",
    "get_hold",
    "list_my_events",
    "publish_event",
    "record_sale",
    "release_hold",
    "retake_hold",
    "seat_map",
    "sweep_holds",
    "undo_sale",
    "update_event",
]
