"""The flash sale through the waiting room (DESIGN.md "Performance"): 2,000 buyers for 100
places. The event is made through the gateway like any other; the buyers' access tokens are
signed with the stack's own key (as auth would sign them: registering 2,000 people would spend
minutes in argon2 and measure nothing of the sale). After the run the room's line is read from
Redis: admissions must follow the places (an admission's expiry never earlier than that of a
place before it)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from redis import Redis

from auth_service.tokens import TokenSigner
from devstack.bench import k6
from devstack.bench.report import Row
from devstack.bench.world import World, published_event
from devstack.config import StackConfig
from shared.keys import load_private_key

PLACES = 100
TIER = "ga"
ADMIT_PER_MINUTE = 6000
# no cap on live admissions: all 2,000 are admitted within 20 s of the start, in place order,
# and 1,900 of them learn the places are gone (a cap would keep them waiting for 10 minutes)
MAX_ACTIVE = None
OPENS_IN_SECONDS = 20  # buyers who join before this are placed by the draw


@dataclass(frozen=True)
class FlashSale:
    event_id: str
    data: Path


def prepare_flash_sale(world: World, cfg: StackConfig, folder: Path, buyers: int) -> FlashSale:
    """A published general-admission event of ``PLACES`` places behind its waiting room, its
    sale ``OPENS_IN_SECONDS`` away, and ``buyers`` signed tokens, as k6 input."""
    starts = datetime.now(UTC) + timedelta(days=20)
    body = {
        "title": f"Flash {uuid.uuid4().hex[:6]}",
        "location": "Bench Arena",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "sales_start_at": (datetime.now(UTC) + timedelta(seconds=OPENS_IN_SECONDS)).isoformat(),
        "currency": "USD",
        "max_tickets_per_order": 2,
        "max_tickets_per_buyer": 2,
        # one address (k6), signed tokens without a verified email
        "hold_rules": {
            "max_live_holds_per_address": None,
            "rehold_cooldown_seconds": 0,
            "verified_email_required": False,
        },
        "waiting_room": {
            "enabled": True,
            "admit_per_minute": ADMIT_PER_MINUTE,
            "max_active": MAX_ACTIVE,
            "opens_before_sale_seconds": 900,
        },
        "tiers": [{"code": TIER, "name": "Floor", "price": 5000, "capacity": PLACES}],
    }
    event_id = published_event(world, body)
    path = folder / "flash.json"
    path.write_text(
        json.dumps(
            {
                "gateway_url": world.gateway_url,
                "event_id": event_id,
                "tier": TIER,
                "tokens": _tokens(cfg, buyers),
            }
        )
    )
    return FlashSale(event_id, path)


def _tokens(cfg: StackConfig, buyers: int) -> list[str]:
    signer = TokenSigner(
        load_private_key(cfg.keys_dir / "jwt_ed25519.pem", create=False),
        issuer="ticketing-auth",
        audience="ticketing",
        ttl_seconds=3600,
    )
    now = datetime.now(UTC)
    return [
        signer.mint(
            user_id=uuid.uuid4(), email=f"flash{i}@bench.test", role="customer", now=now
        ).token
        for i in range(buyers)
    ]


def admissions_out_of_order(cfg: StackConfig, event_id: str) -> tuple[int, int]:
    """(admitted people, admissions out of place order) in the room's Redis state."""
    tag = f"{cfg.redis_prefix}event:v2:room:{{{event_id}}}"
    redis = Redis.from_url(cfg.redis_url)
    try:
        line = cast(list[tuple[bytes, float]], redis.zrange(f"{tag}:line", 0, -1, withscores=True))
        admitted = cast(dict[bytes, bytes], redis.hgetall(f"{tag}:admitted"))
    finally:
        redis.close()
    expiries = [int(admitted[user]) for user, _place in line if user in admitted]
    late = sum(1 for a, b in zip(expiries, expiries[1:], strict=False) if b < a)
    return len(expiries), late


def flash_row(s: k6.Summary, admitted: int, late: int, buyers: int) -> Row:
    """The report's row: admitted holds' latency; what was held, refused, admitted, late."""
    held, errors = s.count("flash_held"), s.count("server_errors")
    p99 = s.trend("admitted_hold_ms", "p(99)")
    note = (
        f"{held} held of {PLACES}, {s.count('flash_sold_out')} × 409 once admitted, "
        f"{s.count('flash_refused')} × 403, {admitted} admitted, {late} out of place order, "
        f"{s.count('flash_not_admitted')} not admitted in time, "
        f"{s.count('flash_join_failed')} joins failed, {errors} × 5xx; "
        f"place reads p99 {s.trend('queue_read_ms', 'p(99)'):.0f} ms, "
        f"join → admitted p50 {s.trend('queue_wait_ms', 'med') / 1000:.1f} s"
    )
    met = (
        held <= PLACES
        and late == 0
        and errors == 0
        and s.count("flash_refused") == 0
        and s.count("flash_join_failed") == 0
        and p99 < 500
    )
    return Row(f"flash sale, waiting room ({buyers} buyers, {PLACES} places): admitted holds",
               float("nan"), "", s.trend("admitted_hold_ms", "med"),
               s.trend("admitted_hold_ms", "p(95)"), p99, note,
               "0 oversold, in order, p99 < 500 ms, no 5xx", met)  # fmt: skip
