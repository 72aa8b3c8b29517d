"""The simulated processor's test cards (API.md), its idempotency, and choosing a processor."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from payment_service.main import create_app
from payment_service.processor import (
    PROCESSORS,
    Card,
    ProcessorUnknown,
    SimulatedProcessor,
    build_processor,
)
from payment_service.processor.simulated import ALREADY_REFUNDED, AMOUNT_EXCEEDS_CHARGE
from payment_service.settings import Settings


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
    result = await SimulatedProcessor().charge(2500, "USD", card(number), idempotency_key="p1")
    assert (result.succeeded, result.failure_reason, result.retryable) == (
        succeeded,
        reason,
        retryable,
    )
    assert (result.reference is not None) is succeeded


async def test_charge_is_answered_again_without_a_second_charge_when_key_repeats() -> None:
    processor = SimulatedProcessor()
    first = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p1")
    again = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p1")
    other = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p2")
    assert again == first and other.reference != first.reference
    assert len(processor.charged) == 2


async def test_refund_succeeds_with_its_own_reference_when_asked() -> None:
    result = await SimulatedProcessor().refund("ch_sim_x", 2500, idempotency_key="p1")
    assert result.succeeded and result.reference and result.reference.startswith("re_sim_")


async def test_refund_is_answered_again_and_money_moves_once_when_key_repeats() -> None:
    processor = SimulatedProcessor()
    charge = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p1")
    assert charge.reference is not None
    first = await processor.refund(charge.reference, 2500, idempotency_key="p1")
    again = await processor.refund(charge.reference, 2500, idempotency_key="p1")
    assert first.succeeded and again == first
    assert processor.refund_count(charge.reference) == 1 and len(processor.refunds) == 1


async def test_second_refund_of_a_charge_is_refused_when_key_differs() -> None:
    processor = SimulatedProcessor()
    charge = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p1")
    assert charge.reference is not None
    assert (await processor.refund(charge.reference, 2500, idempotency_key="p1")).succeeded
    second = await processor.refund(charge.reference, 2500, idempotency_key="other")
    assert (second.succeeded, second.failure_reason) == (False, ALREADY_REFUNDED)
    assert processor.refund_count(charge.reference) == 1


async def test_refund_above_the_charged_amount_is_refused_when_asked() -> None:
    processor = SimulatedProcessor()
    charge = await processor.charge(2500, "USD", card("4242424242424242"), idempotency_key="p1")
    assert charge.reference is not None
    result = await processor.refund(charge.reference, 2501, idempotency_key="p1")
    assert (result.succeeded, result.failure_reason) == (False, AMOUNT_EXCEEDS_CHARGE)
    assert processor.refund_count(charge.reference) == 0


def test_card_repr_hides_number_and_cvc_when_logged() -> None:
    text = repr(Card("4242424242424242", 12, 2099, "987"))
    assert "4242424242424242" not in text and "987" not in text


def test_simulated_processor_is_built_when_setting_is_the_default() -> None:
    assert Settings().PAYMENT_PROCESSOR == "simulated"
    assert isinstance(build_processor(Settings()), SimulatedProcessor)
    assert set(PROCESSORS) == {"simulated"}


def test_unknown_processor_is_refused_at_start_up_when_misnamed() -> None:
    settings = Settings(PAYMENT_PROCESSOR="stripe-typo")
    with pytest.raises(ProcessorUnknown, match="stripe-typo"):
        build_processor(settings)
    with pytest.raises(ProcessorUnknown):
        create_app(settings)


def test_keeping_idempotency_keys_under_24_hours_is_refused_when_configured() -> None:
    with pytest.raises(ValidationError):
        Settings(IDEMPOTENCY_KEEP_HOURS=23)
    assert Settings(IDEMPOTENCY_KEEP_HOURS=24).IDEMPOTENCY_KEEP_HOURS == 24
