"""Payments waiting for their booking's copy: who is woken, and that nobody is left behind."""

from __future__ import annotations

import uuid

from payment_service.copies import CopyArrivals


async def test_every_waiter_of_a_booking_is_woken_when_its_copy_is_committed() -> None:
    copies = CopyArrivals()
    booking_id = uuid.uuid4()
    with copies.expect(booking_id) as first, copies.expect(booking_id) as second:
        await copies.wake_job(booking_id)()
        assert first.is_set() and second.is_set()


async def test_waiters_of_other_bookings_sleep_on_when_a_copy_is_committed() -> None:
    copies = CopyArrivals()
    with copies.expect(uuid.uuid4()) as other:
        await copies.wake_job(uuid.uuid4())()
        assert not other.is_set()


async def test_nobody_is_waiting_when_the_requests_stopped_waiting() -> None:
    copies = CopyArrivals()
    booking_id = uuid.uuid4()
    with copies.expect(booking_id):
        with copies.expect(booking_id):
            assert copies.waiting() == 2
        assert copies.waiting() == 1
    assert copies.waiting() == 0
    await copies.wake_job(booking_id)()  # a late commit wakes nobody and fails nothing
