"""What every use case works with besides its database session."""

from __future__ import annotations

from dataclasses import dataclass

from event_service.cache import EventCache
from event_service.holds import HoldStore
from event_service.settings import Settings


@dataclass(frozen=True, slots=True)
class Ctx:
    holds: HoldStore
    cache: EventCache
    settings: Settings
