"""``GET /api/bookings/events/{event_id}/attendees.csv``: the event's tickets of confirmed
bookings as CSV, for its organizer and admins (refused exactly as the event's sales are),
safe to open in a spreadsheet, streamed from a server-side cursor."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booking_service.service.attendees import ROWS_PER_CHUNK
from shared.contracts.event import EventPublishedV1
from shared.db import utcnow
from shared.testing.server import serving

pytestmark = [pytest.mark.integration]

HEADER = [
    "ticket_id",
    "booking_id",
    "seat_id",
    "tier",
    "price",
    "currency",
    "buyer_name",
    "buyer_email",
    "status",
    "checked_in_at",
]


def _url(event_id: Any) -> str:
    return f"/api/bookings/events/{event_id}/attendees.csv"


def _rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


def _email(user: Any) -> str:
    return f"{user.id.hex[:8]}@example.test"  # the test signer's email for the user


def _row(booking: dict[str, Any], ticket: dict[str, Any], name: str, email: str) -> list[str]:
    return [
        ticket["ticket_id"],
        booking["id"],
        ticket["seat_id"] or "",
        ticket["tier"],
        str(ticket["price"]),
        "USD",
        name,
        email,
        "valid",
        "",
    ]


async def test_attendees_csv_lists_each_ticket_of_confirmed_bookings_when_the_organizer_asks(
    client: Any, customer: Any, book: Any, confirmed_booking: Any
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    mine = {"event_id": event_id, "organizer_id": organizer.id}
    formula = customer(name='=HYPERLINK("http://evil.test","x")')
    at = customer(name="@Ada Lovelace")
    quoted_name = 'Grace "Amazing" Hopper, Rear Admiral'
    quoted = customer(name=quoted_name)
    unnamed = customer()  # booked with a token from before tokens carried a name
    first = await confirmed_booking(
        formula, seats=[("X-A-1", "vip", 8000), (None, "floor", 3000)], **mine
    )
    second = await confirmed_booking(at, seats=[("X-A-2", "vip", 8000)], **mine)
    third = await confirmed_booking(quoted, seats=[("-X-3", "+vip", 8000)], **mine)
    fourth = await confirmed_booking(unnamed, seats=[(None, "floor", 3000)], **mine)
    await book(customer(name="Pending Person"), seats=[("X-A-5", "vip", 8000)], **mine)
    leaver = customer(name="Cancelled Person")
    gone = await confirmed_booking(leaver, seats=[("X-A-6", "vip", 8000)], **mine)
    cancel = await client.post(f"/api/bookings/{gone['id']}/cancel", headers=leaver.headers)
    assert cancel.status_code == 200, cancel.text
    scanned = await client.post(
        "/api/bookings/checkin",
        json={"code": first["tickets"][0]["code"]},
        headers=organizer.headers,
    )
    assert scanned.status_code == 200, scanned.text

    response = await client.get(_url(event_id), headers=organizer.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="attendees-{event_id}.csv"'
    )
    formula_cell = '\'=HYPERLINK("http://evil.test","x")'
    scanned_row = _row(first, first["tickets"][0], formula_cell, _email(formula))
    scanned_row[-2:] = ["checked_in", scanned.json()["checked_in_at"]]
    quoted_row = _row(third, third["tickets"][0], quoted_name, _email(quoted))
    quoted_row[2:4] = ["'-X-3", "'+vip"]  # every cell follows the rule, not only names
    assert _rows(response.text) == [
        HEADER,
        scanned_row,
        _row(first, first["tickets"][1], formula_cell, _email(formula)),
        _row(second, second["tickets"][0], "'@Ada Lovelace", _email(at)),
        quoted_row,
        _row(fourth, fourth["tickets"][0], "", _email(unnamed)),
    ]
    lines = response.text.split("\r\n")
    assert lines[0] == ",".join(HEADER) and lines[-1] == ""  # RFC 4180 line ends, last too
    assert ',"\'=HYPERLINK(""http://evil.test"",""x"")",' in lines[1]
    assert ',"Grace ""Amazing"" Hopper, Rear Admiral",' in lines[4]


async def test_attendees_csv_is_refused_exactly_as_the_event_sales_are_when_not_the_organizer(
    client: Any, customer: Any, confirmed_booking: Any
) -> None:
    organizer, buyer, event_id = customer("organizer"), customer(), uuid.uuid4()
    booking = await confirmed_booking(buyer, event_id=event_id, organizer_id=organizer.id)
    sales = f"/api/bookings/events/{event_id}/sales"
    unknown = uuid.uuid4()
    asked = {
        "another organizer": customer("organizer").headers,
        "a customer": customer().headers,
        "the buyer": buyer.headers,
        "anonymous": {},
    }

    answers = {
        who: (
            (await client.get(_url(event_id), headers=headers)),
            (await client.get(sales, headers=headers)),
        )
        for who, headers in asked.items()
    }
    admin = await client.get(_url(event_id), headers=customer("admin").headers)
    unknown_admin = await client.get(_url(unknown), headers=customer("admin").headers)
    unknown_owner = await client.get(_url(unknown), headers=organizer.headers)
    unknown_sales = await client.get(
        f"/api/bookings/events/{unknown}/sales", headers=customer("admin").headers
    )

    statuses = {who: (csv_.status_code, sold.status_code) for who, (csv_, sold) in answers.items()}
    assert statuses == {
        "another organizer": (404, 404),
        "a customer": (403, 403),
        "the buyer": (403, 403),
        "anonymous": (401, 401),
    }
    for csv_answer, sales_answer in answers.values():
        assert csv_answer.headers["content-type"] == "application/json"
        assert csv_answer.json()["error"] == sales_answer.json()["error"]
    assert answers["another organizer"][0].json()["error"] == "not_found"
    assert answers["a customer"][0].json()["error"] == "forbidden"
    assert (unknown_admin.status_code, unknown_owner.status_code) == (404, 404)
    assert unknown_sales.status_code == 404 and unknown_admin.json()["error"] == "not_found"
    assert admin.status_code == 200, admin.text
    assert [row[1] for row in _rows(admin.text)[1:]] == [booking["id"]]


async def test_attendees_csv_is_the_header_alone_when_a_published_event_has_no_bookings(
    client: Any, customer: Any, handle: Any
) -> None:
    organizer, event_id = customer("organizer"), uuid.uuid4()
    before = await client.get(_url(event_id), headers=organizer.headers)
    published = EventPublishedV1(
        event_id=event_id,
        organizer_id=organizer.id,
        title="Quiet Night",
        starts_at=utcnow(),
        currency="EUR",
        actor_id=organizer.id,
    )
    assert await handle(published) == "handled"

    response = await client.get(_url(event_id), headers=organizer.headers)

    assert before.status_code == 404  # booking had not heard of it yet
    assert response.status_code == 200, response.text
    assert response.text == ",".join(HEADER) + "\r\n"


# --- streaming ------------------------------------------------------------------------------


_BULK_BOOKINGS = text("""
INSERT INTO booking (id, user_id, user_email, buyer_name, event_id, organizer_id, hold_id,
                     status, amount, currency, expires_at, event_title, event_starts_at,
                     event_location, created_at, updated_at, confirmed_at)
SELECT gen_random_uuid(), gen_random_uuid(), 'bulk' || i || '@example.test', 'Bulk ' || i,
       :event_id, :organizer_id, :hold_prefix || i, 'confirmed', 3000, 'USD',
       now(), 'Bulk Show', now() + interval '1 day', 'Hall', now() + i * interval '1 ms',
       now(), now()
FROM generate_series(1, :bookings) AS i
""")
_BULK_TICKETS = text("""
INSERT INTO ticket (id, booking_id, position, seat_id, tier, price, code)
SELECT gen_random_uuid(), b.id, p, NULL, 'floor', 1000, 'bulk-' || gen_random_uuid()
FROM booking AS b CROSS JOIN generate_series(0, :per_booking - 1) AS p
WHERE b.event_id = :event_id
""")


async def _bulk(runtime: Any, *, organizer_id: uuid.UUID, bookings: int, per_booking: int) -> Any:
    """An event with ``bookings`` confirmed bookings of ``per_booking`` tickets each, by SQL."""
    event_id = uuid.uuid4()
    params = {
        "event_id": event_id,
        "organizer_id": organizer_id,
        "hold_prefix": f"bulk-{event_id}-",
        "bookings": bookings,
        "per_booking": per_booking,
    }
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(_BULK_BOOKINGS, params)
        await session.execute(_BULK_TICKETS, params)
    return event_id


def _noting_body_parts(app: ASGIApp, parts: list[int]) -> ASGIApp:
    """``app``, noting the size of every non-empty body part it sends."""

    async def noting(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                parts.append(len(message["body"]))
            await send(message)

        await app(scope, receive, sending)

    return noting


@pytest.fixture
async def served(app: Any) -> AsyncIterator[tuple[str, list[int]]]:
    """The running booking app behind a real uvicorn server (the in-process transport gathers
    a whole body before answering); the sizes of the body parts it sent."""
    parts: list[int] = []
    async with serving(_noting_body_parts(app, parts)) as url:
        yield url, parts


async def test_attendees_csv_streams_in_chunks_when_the_event_has_thousands_of_tickets(
    customer: Any, runtime: Any, served: tuple[str, list[int]]
) -> None:
    organizer = customer("organizer")
    bookings, per_booking = 1000, 3
    event_id = await _bulk(
        runtime, organizer_id=organizer.id, bookings=bookings, per_booking=per_booking
    )
    base_url, parts = served

    received: list[bytes] = []
    async with (
        httpx2.AsyncClient(base_url=base_url, timeout=30) as http,
        http.stream("GET", _url(event_id), headers=organizer.headers) as response,
    ):
        assert response.status_code == 200
        async for chunk in response.aiter_raw():
            received.append(chunk)

    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    rows = _rows(b"".join(received).decode())
    tickets = bookings * per_booking
    assert rows[0] == HEADER and len(rows) == 1 + tickets
    assert len({row[0] for row in rows[1:]}) == tickets
    names = [row[6] for row in rows[1:]]  # oldest booking first, its tickets together
    assert names == [f"Bulk {i}" for i in range(1, bookings + 1) for _ in range(per_booking)]
    assert len(received) > 1
    # the app sent the header, then one part per ROWS_PER_CHUNK rows
    assert len(parts) == 1 + math.ceil(tickets / ROWS_PER_CHUNK)


# --- OpenAPI --------------------------------------------------------------------------------


async def test_openapi_documents_the_attendee_list_as_csv(client: Any) -> None:
    spec = (await client.get("/openapi.json")).json()

    operation = spec["paths"]["/api/bookings/events/{event_id}/attendees.csv"]["get"]

    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert {int(code) for code in operation["responses"] if int(code) >= 400} >= {401, 403, 404}
