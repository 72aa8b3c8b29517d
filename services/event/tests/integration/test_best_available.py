"""Best available: adjacent seats in one row first, else the tightest row; never a seat twice
under a race; 422 where it cannot apply."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest

pytestmark = pytest.mark.integration


async def test_best_available_picks_adjacent_seats_in_one_row_when_a_row_has_them(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event()
    # A-A-2 taken: the first run of 3 adjacent free seats in row A is 3..5
    taken = await client.post(
        holds_path(event), json={"seat_ids": ["A-A-2"]}, headers=buyer()["headers"]
    )
    assert taken.status_code == 201

    response = await client.post(
        holds_path(event),
        json={"tier": "vip", "quantity": 3, "best_available": True},
        headers=buyer()["headers"],
    )

    assert response.status_code == 201, response.text
    assert [s["seat_id"] for s in response.json()["seats"]] == ["A-A-3", "A-A-4", "A-A-5"]
    assert response.json()["amount"] == 3 * 8000


async def test_best_available_falls_back_to_the_tightest_row_when_no_row_has_a_run(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event()
    blockers = ["A-A-2", "A-A-4", "A-B-2", "A-B-3", "A-B-5"]
    assert (
        await client.post(
            holds_path(event), json={"seat_ids": blockers}, headers=buyer()["headers"]
        )
    ).status_code == 201

    response = await client.post(
        holds_path(event),
        json={"tier": "vip", "quantity": 3, "best_available": True},
        headers=buyer()["headers"],
    )

    assert response.status_code == 201, response.text
    assert [s["seat_id"] for s in response.json()["seats"]] == ["A-A-1", "A-A-3", "A-A-5"]


async def test_best_available_never_gives_a_seat_twice_when_many_race(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, holds_path: Any
) -> None:
    event = await make_event()
    responses = await asyncio.gather(
        *(
            client.post(
                holds_path(event),
                json={"tier": "standard", "quantity": 2, "best_available": True},
                headers=buyer()["headers"],
            )
            for _ in range(7)
        )
    )

    won = [r.json() for r in responses if r.status_code == 201]
    seats = [s["seat_id"] for hold in won for s in hold["seats"]]
    assert len(won) == 5 and len(seats) == len(set(seats)) == 10  # 10 standard seats in all
    assert {r.json()["error"] for r in responses if r.status_code != 201} == {"seats_unavailable"}
    adjacent = 0
    for hold in won:
        (s1, s2) = (h["seat_id"].split("-") for h in hold["seats"])
        adjacent += s1[:2] == s2[:2] and int(s2[2]) == int(s1[2]) + 1
    assert adjacent == 4  # rows of 5: two adjacent pairs per row, the last pair spans two rows


@pytest.mark.parametrize(
    "body",
    [
        {"tier": "floor", "quantity": 1, "best_available": True},
        {"seat_ids": ["A-A-1"], "best_available": True},
    ],
    ids=["general-admission-tier", "with-seat-ids"],
)
async def test_best_available_is_422_when_it_cannot_apply(
    client: httpx2.AsyncClient, make_event: Any, buyer: Any, body: dict[str, Any], holds_path: Any
) -> None:
    event = await make_event()
    response = await client.post(holds_path(event), json=body, headers=buyer()["headers"])
    assert response.status_code == 422, response.text
