"""Booking states, transitions and the pure rules around them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from booking_service import domain
from booking_service.domain import BookingStatus, PaymentOutcome, RefundOutcome

P, C, X, E, R = (
    BookingStatus.PENDING_PAYMENT,
    BookingStatus.CONFIRMED,
    BookingStatus.CANCELLED,
    BookingStatus.EXPIRED,
    BookingStatus.REFUNDED,
)
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "target"),
    [(P, C), (P, X), (P, E), (P, R), (C, X), (C, R), (E, C), (E, X), (E, R), (X, R)],
)
def test_transition_is_allowed_when_design_lists_it(
    current: BookingStatus, target: BookingStatus
) -> None:
    assert domain.can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(C, P), (C, E), (X, P), (X, C), (X, E), (E, P), (R, C), (R, X), (R, P), (P, P), (C, C)],
)
def test_transition_is_refused_when_it_would_go_backwards_or_skip(
    current: BookingStatus, target: BookingStatus
) -> None:
    assert not domain.can_transition(current, target)


def test_refunded_is_final_and_cancelled_only_becomes_refunded() -> None:
    assert not any(domain.can_transition(R, target) for target in BookingStatus)
    assert {t for t in BookingStatus if domain.can_transition(X, t)} == {R}


def test_only_pending_and_confirmed_hold_seats() -> None:
    assert {s for s in BookingStatus if domain.is_active(s)} == {P, C}


def test_cancel_is_possible_only_when_pending_or_confirmed() -> None:
    assert {s for s in BookingStatus if domain.can_cancel(s)} == {P, C}


def test_payment_deadline_is_the_window_when_hold_lives_longer() -> None:
    deadline = domain.payment_deadline(
        NOW, window_seconds=900, hold_expires_at=NOW + timedelta(hours=1)
    )
    assert deadline == NOW + timedelta(seconds=900)


def test_payment_deadline_is_the_hold_expiry_when_hold_is_capped_earlier() -> None:
    hold_end = NOW + timedelta(seconds=300)
    assert domain.payment_deadline(NOW, window_seconds=900, hold_expires_at=hold_end) == hold_end


def test_overdue_only_when_pending_and_past_deadline() -> None:
    past, future = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)
    assert domain.is_overdue(P, past, NOW)
    assert not domain.is_overdue(P, future, NOW)
    assert not domain.is_overdue(C, past, NOW)


def test_view_is_allowed_when_owner_organizer_or_admin() -> None:
    owner, organizer, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def view(
        viewer: uuid.UUID,
        *,
        admin: bool = False,
        org: uuid.UUID | None = organizer,
        organizer_role: bool = True,
    ) -> bool:
        return domain.can_view(
            owner_id=owner,
            organizer_id=org,
            viewer_id=viewer,
            viewer_is_admin=admin,
            viewer_is_organizer=organizer_role,
        )

    assert view(owner) and view(organizer) and view(other, admin=True)
    assert view(owner, organizer_role=False)
    assert not view(other)
    assert not view(organizer, org=None)
    assert not view(organizer, organizer_role=False)  # demoted: the role is checked each time


def test_only_owner_or_admin_may_cancel_when_organizer_can_only_read() -> None:
    owner, organizer = uuid.uuid4(), uuid.uuid4()
    assert domain.can_change(owner_id=owner, viewer_id=owner, viewer_is_admin=False)
    assert domain.can_change(owner_id=owner, viewer_id=organizer, viewer_is_admin=True)
    assert not domain.can_change(owner_id=owner, viewer_id=organizer, viewer_is_admin=False)


def test_event_is_managed_only_by_its_organizer_or_admin() -> None:
    organizer, other = uuid.uuid4(), uuid.uuid4()
    manage = domain.can_manage_event
    assert manage(organizer_id=organizer, viewer_id=organizer, viewer_is_admin=False)
    assert manage(organizer_id=None, viewer_id=other, viewer_is_admin=True)
    assert not manage(organizer_id=organizer, viewer_id=other, viewer_is_admin=False)
    assert not manage(organizer_id=None, viewer_id=other, viewer_is_admin=False)


def test_payment_confirms_when_booking_pending() -> None:
    pay = uuid.uuid4()
    assert (
        domain.payment_outcome(P, booking_payment_id=None, payment_id=pay) is PaymentOutcome.CONFIRM
    )


def test_payment_is_duplicate_when_already_applied() -> None:
    pay = uuid.uuid4()
    for status in (C, X, E):
        outcome = domain.payment_outcome(status, booking_payment_id=pay, payment_id=pay)
        assert outcome is PaymentOutcome.DUPLICATE


def test_payment_retakes_seats_when_booking_expired_unpaid() -> None:
    outcome = domain.payment_outcome(E, booking_payment_id=None, payment_id=uuid.uuid4())
    assert outcome is PaymentOutcome.RETAKE


def test_payment_is_refunded_when_booking_cancelled_or_refunded() -> None:
    pay = uuid.uuid4()
    for status, earlier in ((X, None), (X, uuid.uuid4()), (R, uuid.uuid4())):
        outcome = domain.payment_outcome(status, booking_payment_id=earlier, payment_id=pay)
        assert outcome is PaymentOutcome.REFUND


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (X, RefundOutcome.SETTLE),
        (E, RefundOutcome.SETTLE),
        (C, RefundOutcome.RELEASE),
        (P, RefundOutcome.RELEASE),
        (R, RefundOutcome.DUPLICATE),
    ],
)
def test_refund_outcome_follows_the_booking_state(
    status: BookingStatus, expected: RefundOutcome
) -> None:
    pay = uuid.uuid4()
    assert domain.refund_outcome(status, booking_payment_id=pay, payment_id=pay) is expected
    assert domain.refund_outcome(status, booking_payment_id=None, payment_id=pay) is expected


def test_refund_of_another_payment_is_foreign() -> None:
    outcome = domain.refund_outcome(C, booking_payment_id=uuid.uuid4(), payment_id=uuid.uuid4())
    assert outcome is RefundOutcome.FOREIGN


def test_second_payment_is_flagged_when_booking_confirmed_by_another() -> None:
    outcome = domain.payment_outcome(C, booking_payment_id=uuid.uuid4(), payment_id=uuid.uuid4())
    assert outcome is PaymentOutcome.DOUBLE_PAYMENT


def test_payment_failure_cancels_only_when_not_retryable() -> None:
    assert domain.payment_failure_cancels(retryable=False)
    assert not domain.payment_failure_cancels(retryable=True)
    assert domain.payment_failed_reason("card_declined") == "payment_failed: card_declined"


def test_cancel_reason_names_who_cancelled() -> None:
    assert domain.cancel_reason(by_admin=True) == "cancelled_by_admin"
    assert domain.cancel_reason(by_admin=False) == "cancelled_by_user"


@pytest.mark.parametrize(
    ("checked_in", "starts_in", "refusal"),
    [
        (False, timedelta(minutes=1), None),
        (True, timedelta(days=1), domain.CancelRefusal.CHECKED_IN),
        (False, timedelta(0), domain.CancelRefusal.EVENT_STARTED),
        (False, -timedelta(days=3), domain.CancelRefusal.EVENT_STARTED),
        (True, -timedelta(hours=1), domain.CancelRefusal.CHECKED_IN),
    ],
)
def test_buyer_cancel_is_refused_after_checkin_or_start_when_confirmed(
    checked_in: bool, starts_in: timedelta, refusal: domain.CancelRefusal | None
) -> None:
    assert (
        domain.buyer_cancel_refusal(
            C, checked_in=checked_in, event_starts_at=NOW + starts_in, now=NOW
        )
        is refusal
    )


@pytest.mark.parametrize("status", [P, X, E, R])
def test_buyer_cancel_is_not_refused_by_the_start_when_booking_is_not_confirmed(
    status: BookingStatus,
) -> None:
    assert (
        domain.buyer_cancel_refusal(
            status, checked_in=False, event_starts_at=NOW - timedelta(days=1), now=NOW
        )
        is None
    )
