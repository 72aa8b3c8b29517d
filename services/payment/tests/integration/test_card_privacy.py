"""Card numbers and security codes never reach the service's log output, whatever happens."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.integration

CVC = "7319"
CARDS = {
    "good": "4242424242424242",
    "typed with spaces": "4242 4242 4242 4242",
    "declined": "4000000000000002",
    "processing error": "4000000000000119",
    "failing Luhn": "4242424242424241",
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    else:
        yield str(value)


async def test_full_card_number_and_cvc_never_appear_in_logs_when_paying_or_refused(
    make_booking: Any, pay: Any, service_log: io.StringIO
) -> None:
    user = uuid.uuid4()
    statuses = []
    for number in CARDS.values():
        booking = await make_booking(user)
        response = await pay(user, booking.booking_id, number, cvc=CVC)
        statuses.append(response.status_code)
    expired = await pay(user, booking.booking_id, CARDS["good"], cvc=CVC, exp_year=2001)
    bad_cvc = await pay(user, booking.booking_id, CARDS["good"], cvc=f"{CVC}x")
    assert statuses == [201, 201, 201, 201, 422]
    assert (expired.status_code, bad_cvc.status_code) == (422, 422)

    output = service_log.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    events = {line.get("event") for line in lines}
    assert "payment_recorded" in events  # the capture sees the service's own lines
    assert any(line.get("card") == "•••• 4242" for line in lines)
    digits_only = re.sub(r"\D", "", output)
    for number in CARDS.values():
        assert number not in output
        # Not even hidden among other digits once everything else is stripped away.
        assert number.replace(" ", "") not in digits_only
    standalone_cvc = re.compile(rf"(?<![0-9A-Za-z]){CVC}(?![0-9A-Za-z])")
    assert not any(standalone_cvc.search(text) for line in lines for text in _strings(line))
