"""Payment service: charges bookings through a card processor, refunds, idempotent POSTs."""
