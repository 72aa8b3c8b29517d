"""Typed settings of the event service (nothing else reads the environment)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    SERVICE_NAME: str = "event"
    SERVICE_PORT: int = 8002
    API_PREFIX: str = "/api/events"

    HOLD_TTL_SECONDS: int = 600
    HOLD_MAX_SECONDS: int = 1800
    # How often lapsed holds are swept (general-admission places go back to their tier).
    HOLD_SWEEP_SECONDS: float = 2.0
    # a waiting room's admission is valid this long (API.md ADMISSION_TOKEN_SECONDS)
    ADMISSION_TOKEN_SECONDS: int = Field(default=600, ge=30, le=86_400)
    # how often ticketing_waiting_room_users is counted (which also moves idle lines on)
    WAITING_ROOM_COUNT_SECONDS: float = 5.0
    # a waiting list's offer (a hold made for the next in line) lasts this long (API.md
    # WAITLIST_OFFER_SECONDS); returned places are handed out this often
    WAITLIST_OFFER_SECONDS: int = Field(default=900, ge=10, le=86_400)
    WAITLIST_TICK_SECONDS: float = Field(default=1.0, gt=0)
    # the live stream: how often an event's state is read while someone listens, and how often
    # an idle stream says it is alive
    LIVE_INTERVAL_SECONDS: float = Field(default=0.5, gt=0)
    LIVE_KEEPALIVE_SECONDS: float = Field(default=15.0, gt=0)
    # how often ticketing_oversold_seats is recomputed from PostgreSQL
    OVERSOLD_CHECK_SECONDS: float = 10.0
    # The Redis mirror of sold seats is rebuilt from PostgreSQL after this long (or when lost).
    SOLD_CACHE_SECONDS: int = 86_400
    # What a hold needs to know of an event (status, window, limits, tiers) stays in Redis this
    # long at most; every change of the event deletes it at once anyway.
    EVENT_FACTS_SECONDS: int = 86_400
    # How many events' facts (and seat layouts) one process keeps in memory.
    FACTS_MEMORY_EVENTS: int = 256
    LAYOUT_MEMORY_EVENTS: int = 16
    # Cached static parts of events and listing pages live at most this long (also invalidated).
    EVENT_CACHE_SECONDS: int = 60
    # How many seat groups best_available offers the hold script per attempt.
    BEST_AVAILABLE_CANDIDATES: int = 8
