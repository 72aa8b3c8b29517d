"""The simulated processor's test cards (API.md)."""

from __future__ import annotations

import pytest

from payment_service.processor import Card, SimulatedProcessor


def card(number: str) -> Card:
    return Card(number, 12, 2099, "123")


@pytest.mark.parametrize(
    ("number", "succeeded", "reason", "retryable"),
    [
        ("4242424242424242", True, None, False),
        ("4000000000000002", False, "card_declined", False),
        ("4000000000009995", False, "insufficient_funds", False),
        ("4000000000000119", False, "processing_error", True),
        ("5555555555554444", True, None, False),
        ("4242424242424241", False, "invalid_number", False),
    ],
)
async def test_charge_outcome_follows_the_test_card_when_charged(
    number: str, succeeded: bool, reason: str | None, retryable: bool
) -> None:
    result = await SimulatedProcessor().charge(2500, "USD", card(number))
    assert (result.succeeded, result.failure_reason, result.retryable) == (
        succeeded,
        reason,
        retryable,
    )
    assert (result.reference is not None) is succeeded


async def test_refund_succeeds_with_its_own_reference_when_asked() -> None:
    result = await SimulatedProcessor().refund("ch_sim_x", 2500)
    assert result.succeeded and result.reference and result.reference.startswith("re_sim_")


def test_card_repr_hides_number_and_cvc_when_logged() -> None:
    text = repr(Card("4242424242424242", 12, 2099, "987"))
    assert "4242424242424242" not in text and "987" not in text
