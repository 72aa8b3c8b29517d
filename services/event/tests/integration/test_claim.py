"""The internal hold claim booking makes before it creates a booking."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest

from event_service.settings import Settings
from shared.http import internal_headers

pytestmark = pytest.mark.integration


async def test_claim_by_owner_extends_the_hold_once_and_repeats_the_same_answer(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, hold_of: Any
) -> None:
    event = await make_event()
    owner = buyer()
    hold = await hold_of(event, owner, {"seat_ids": ["A-A-1", "A-A-2"]})
    path = f"/internal/holds/{hold['hold_id']}/claim"
    headers = internal_headers(settings)

    first = await client.post(
        path, json={"user_id": str(owner["id"]), "extend_seconds": 900}, headers=headers
    )

    assert first.status_code == 200, first.text
    claimed = first.json()
    assert claimed["hold_id"] == hold["hold_id"]
    assert claimed["event_id"] == event["id"] and claimed["user_id"] == str(owner["id"])
    assert claimed["seats"] == hold["seats"] and claimed["amount"] == 16000
    assert claimed["currency"] == "USD"
    assert claimed["event"]["title"] == event["title"]
    assert claimed["event"]["location"] == event["location"]
    created = datetime.fromisoformat(hold["created_at"])
    extended = datetime.fromisoformat(claimed["expires_at"])
    assert extended > datetime.fromisoformat(hold["expires_at"])
    assert created + timedelta(seconds=890) < extended <= created + timedelta(seconds=1800)

    again = await client.post(
        path, json={"user_id": str(owner["id"]), "extend_seconds": 1500}, headers=headers
    )
    assert again.status_code == 200
    assert again.json() == claimed
    seen = await client.get(
        f"/api/events/{event['id']}/holds/{hold['hold_id']}", headers=owner["headers"]
    )
    assert seen.json()["expires_at"] == claimed["expires_at"]


async def test_claim_never_extends_past_the_hard_cap_when_asked_for_more(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, hold_of: Any
) -> None:
    event = await make_event()
    owner = buyer()
    hold = await hold_of(event, owner, {"tier": "floor", "quantity": 2})

    response = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(owner["id"]), "extend_seconds": 86_400},
        headers=internal_headers(settings),
    )

    assert response.status_code == 200
    claimed = response.json()
    cap = datetime.fromisoformat(hold["created_at"]) + timedelta(seconds=settings.HOLD_MAX_SECONDS)
    assert abs((datetime.fromisoformat(claimed["expires_at"]) - cap).total_seconds()) < 1
    assert claimed["seats"] == [{"seat_id": None, "tier": "floor", "price": 3000}] * 2


@pytest.mark.parametrize("extend_seconds", [-1, 86_401])
async def test_claim_is_422_and_extends_nothing_when_extend_seconds_is_out_of_bounds(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    settings: Settings,
    hold_of: Any,
    extend_seconds: int,
) -> None:
    event = await make_event()
    owner = buyer()
    hold = await hold_of(event, owner, {"seat_ids": ["B-C-2"]})

    response = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(owner["id"]), "extend_seconds": extend_seconds},
        headers=internal_headers(settings),
    )

    assert response.status_code == 422, response.text
    assert {f["field"] for f in response.json()["details"]["fields"]} == {"extend_seconds"}
    seen = await client.get(
        f"/api/events/{event['id']}/holds/{hold['hold_id']}", headers=owner["headers"]
    )
    assert seen.json()["expires_at"] == hold["expires_at"]


async def test_claim_is_403_when_user_is_not_the_holds_owner(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, hold_of: Any
) -> None:
    event = await make_event()
    hold = await hold_of(event, buyer(), {"seat_ids": ["B-C-1"]})

    response = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(uuid.uuid4()), "extend_seconds": 900},
        headers=internal_headers(settings),
    )

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_claim_is_409_hold_expired_when_hold_is_unknown_or_released(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, settings: Settings, hold_of: Any
) -> None:
    headers = internal_headers(settings)
    unknown = await client.post(
        f"/internal/holds/{uuid.uuid4()}/claim",
        json={"user_id": str(uuid.uuid4()), "extend_seconds": 900},
        headers=headers,
    )
    assert unknown.status_code == 409
    assert unknown.json()["error"] == "hold_expired"

    event = await make_event()
    owner = buyer()
    hold = await hold_of(event, owner, {"seat_ids": ["B-C-2"]})
    deleted = await client.delete(
        f"/api/events/{event['id']}/holds/{hold['hold_id']}", headers=owner["headers"]
    )
    assert deleted.status_code == 204
    released = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(owner["id"]), "extend_seconds": 900},
        headers=headers,
    )
    assert released.status_code == 409
    assert released.json()["error"] == "hold_expired"


async def test_claim_is_401_when_internal_token_is_missing(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        f"/internal/holds/{uuid.uuid4()}/claim",
        json={"user_id": str(uuid.uuid4()), "extend_seconds": 900},
    )
    assert response.status_code == 401


async def test_claim_answer_names_the_organizer_when_booking_claims(
    client: httpx2.AsyncClient,
    make_event: Any,
    buyer: Any,
    organizer: dict[str, Any],
    settings: Settings,
    holds_path: Any,
) -> None:
    event = await make_event()
    me = buyer()
    hold = (
        await client.post(holds_path(event), json={"seat_ids": ["A-A-1"]}, headers=me["headers"])
    ).json()
    response = await client.post(
        f"/internal/holds/{hold['hold_id']}/claim",
        json={"user_id": str(me["id"]), "extend_seconds": 60},
        headers=internal_headers(settings),
    )
    assert response.status_code == 200
    assert response.json()["event"]["organizer_id"] == str(organizer["id"])
