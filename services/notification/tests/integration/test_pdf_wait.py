"""``GET /api/notifications/tickets/{id}/pdf?wait=N``: one request for the PDF (``shared.watch``)
— answered once it is rendered (or the tickets are void), or when the time is up."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from services.notification.tests.integration.test_ticket_void import VOID_MESSAGE, cancelled

pytestmark = pytest.mark.integration


def _url(booking_id: Any, wait: int) -> str:
    return f"/api/notifications/tickets/{booking_id}/pdf?wait={wait}"


async def test_a_download_waiting_for_the_pdf_gets_it_as_soon_as_it_is_stored(
    client: Any,
    publish: Any,
    signer: Any,
    booking_confirmed: Any,
    context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rung by the consumer that stored it (the recheck is put out of reach here)."""
    monkeypatch.setattr(context.pdf_watch, "recheck_seconds", 60)
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id, email=data.user_email)
    started = time.monotonic()
    download = asyncio.ensure_future(client.get(_url(data.booking_id, 20), headers=owner))
    await asyncio.sleep(0.3)
    assert not download.done()
    assert context.pdf_watch.waiting == 1

    await publish(data)
    response = await asyncio.wait_for(download, timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert time.monotonic() - started < 10
    assert context.pdf_watch.waiting == 0
    await context.pdf_watch.aclose()  # its recheck sleeps 60 s: not for the next tests


async def test_tickets_voided_while_waiting_are_answered_as_void_by_the_recheck(
    client: Any, publish: Any, signer: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id, email=data.user_email)
    download = asyncio.ensure_future(client.get(_url(data.booking_id, 20), headers=owner))
    await asyncio.sleep(0.3)

    await publish(cancelled(data, reason="cancelled_by_user"))  # before any confirmation
    response = await asyncio.wait_for(download, timeout=10)

    assert response.status_code == 404
    assert (response.json()["error"], response.json()["message"]) == ("not_found", VOID_MESSAGE)


async def test_when_the_time_is_up_it_is_404_as_without_waiting(
    client: Any, signer: Any, booking_confirmed: Any
) -> None:
    data = booking_confirmed()
    owner = signer.headers(user_id=data.user_id, email=data.user_email)
    started = time.monotonic()
    response = await client.get(_url(data.booking_id, 1), headers=owner)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert 1 <= time.monotonic() - started < 3
    for wait in ("26", "-1", "soon"):
        refused = await client.get(
            f"/api/notifications/tickets/{data.booking_id}/pdf?wait={wait}", headers=owner
        )
        assert (refused.status_code, refused.json()["error"]) == (422, "validation_error")
