"""The hot lane (``hot.py``): ``POST /api/payments`` answered without FastAPI's per-request
work — exactly as the route would answer, and handed to FastAPI whenever the lane cannot be
sure (then FastAPI gets the body it read)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest

from payment_service import hot
from services.payment.tests.integration.conftest import GOOD_CARD
from shared.observability import HTTP_REQUESTS
from shared.testing.hotlane import answers_taken

pytestmark = pytest.mark.integration

DECLINED = "4000000000000002"
Answer = tuple[int, str | None, str]


def _plain(response: httpx2.Response) -> Answer:
    """Status, replay header and body with what differs from run to run named instead."""
    text = re.sub(r'"request_id":"[^"]*"', '"request_id":"…"', response.text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)", "<time>", text)
    return response.status_code, response.headers.get("idempotent-replayed"), text


def _card(booking_id: uuid.UUID, number: str = GOOD_CARD, **extra: Any) -> dict[str, Any]:
    return {
        "booking_id": str(booking_id),
        "card_number": number,
        "exp_month": 12,
        "exp_year": 2099,
        "cvc": "123",
        **extra,
    }


async def _transcript(client: httpx2.AsyncClient, make_booking: Any, signer: Any) -> list[Any]:
    """The same requests, on bookings of their own: what the service answered to each."""
    user = uuid.uuid4()
    me = signer.headers(user_id=user)
    paid, declined, keyed, other = [await make_booking(user) for _ in range(4)]
    key = {**me, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    json_requests: list[tuple[dict[str, Any], dict[str, str]]] = [
        (_card(paid.booking_id), me),  # 201 succeeded
        (_card(paid.booking_id), me),  # 409 already paid
        (_card(declined.booking_id, DECLINED), me),  # 201 failed
        (_card(declined.booking_id), me),  # 409: a final failure ended it
        (_card(other.booking_id), signer.headers(user_id=uuid.uuid4())),  # 404 a stranger's
        (_card(keyed.booking_id), key),  # 201
        (_card(keyed.booking_id), key),  # 201 replayed
        (_card(keyed.booking_id, cvc="999"), key),  # 409 idempotency_conflict
        (_card(other.booking_id), {**me, "Idempotency-Key": "has space"}),  # 422 header
        (_card(other.booking_id, "4242424242424241"), me),  # 422 Luhn
        (_card(other.booking_id, exp_year="2099"), me),  # 422 not an integer
        (_card(other.booking_id, x=1), me),  # 422 unknown field
        (_card(other.booking_id), {}),  # 401 no token
        (_card(other.booking_id), {"Authorization": "Bearer nonsense"}),  # 401
    ]
    answers = []
    for body, headers in json_requests:
        answers.append(_plain(await client.post("/api/payments", json=body, headers=headers)))
    raw = b'{"booking_id": "' + str(other.booking_id).encode()
    malformed = await client.post(
        "/api/payments", content=raw, headers={**me, "Content-Type": "application/json"}
    )
    text = await client.post(
        "/api/payments", content=b"{}", headers={**me, "Content-Type": "text/plain"}
    )
    return [*answers, _plain(malformed), _plain(text)]


async def test_hot_lane_answers_every_payment_as_the_route_does_when_the_same_are_sent(
    client: httpx2.AsyncClient,
    make_booking: Any,
    signer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_lane = await _transcript(client, make_booking, signer)
    monkeypatch.setattr(hot, "_PATH", "/never")  # the lane takes nothing
    route_only = await _transcript(client, make_booking, signer)

    assert with_lane == route_only
    assert [status for status, _, _ in with_lane] == [
        *(201, 409, 201, 409, 404, 201, 201, 409),
        *(422, 422, 422, 422, 401, 401, 422, 422),
    ]
    assert [replayed for _, replayed, _ in with_lane[5:7]] == [None, "true"]
    assert '"status":"failed"' in with_lane[2][2]
    assert GOOD_CARD not in "".join(text for _, _, text in with_lane)


async def test_hot_lane_takes_payments_and_leaves_the_rest_to_fastapi_when_unsure(
    client: httpx2.AsyncClient,
    make_booking: Any,
    signer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = answers_taken(monkeypatch, hot, "_answer")
    user = uuid.uuid4()
    me = signer.headers(user_id=user)
    booking = await make_booking(user)

    paid = await client.post("/api/payments", json=_card(booking.booking_id), headers=me)
    again = await client.post("/api/payments", json=_card(booking.booking_id), headers=me)
    assert (paid.status_code, again.status_code, taken) == (201, 409, [201, 409])

    refused = await client.post("/api/payments", json=_card(booking.booking_id, x=1), headers=me)
    anonymous = await client.post("/api/payments", json=_card(booking.booking_id))
    padded = _card(booking.booking_id, cvc="1" * 20_000)  # over the lane's body cap
    huge = await client.post("/api/payments", json=padded, headers=me)
    listing = await client.get("/api/payments", headers=me)
    assert (refused.status_code, anonymous.status_code, huge.status_code) == (422, 401, 422)
    assert refused.json()["details"]["fields"][0]["field"] == "x"  # FastAPI read the body
    assert [f["field"] for f in huge.json()["details"]["fields"]] == ["cvc"]
    assert listing.status_code == 200
    assert taken == [201, 409]  # the rest went to FastAPI


async def test_hot_lane_labels_its_answers_with_the_route_when_it_takes_them(
    client: httpx2.AsyncClient, make_booking: Any, signer: Any
) -> None:
    labels = ("payment", "POST", "/api/payments", "201")
    before = HTTP_REQUESTS.labels(*labels)._value.get()
    user = uuid.uuid4()
    booking = await make_booking(user)

    response = await client.post(
        "/api/payments", json=_card(booking.booking_id), headers=signer.headers(user_id=user)
    )

    assert response.status_code == 201
    assert HTTP_REQUESTS.labels(*labels)._value.get() == before + 1
