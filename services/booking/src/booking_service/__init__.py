"""Booking: the saga state machine, booked seats, tickets and idempotency keys."""
