"""Refunds are recorded before the processor is asked; booking copies learn expiry.

- ``refund`` gains ``status`` (pending → succeeded | failed), ``failure_reason``, ``actor_id``,
  ``leased_until`` and ``updated_at``; one pending-or-succeeded refund per payment replaces
  the plain unique ``payment_id`` (a refused refund may be asked again). Existing rows were
  all refunded at the processor before they were written: ``succeeded``.
- ``booking_copy.status`` may be ``expired`` (booking.expired), a tombstone like ``cancelled``.
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE booking_copy "
        "DROP CONSTRAINT ck_booking_copy_status, DROP CONSTRAINT ck_booking_copy_priced, "
        "ADD CONSTRAINT ck_booking_copy_status "
        "CHECK (status IN ('pending_payment', 'cancelled', 'expired')), "
        "ADD CONSTRAINT ck_booking_copy_priced CHECK (status IN ('cancelled', 'expired') "
        "OR (amount IS NOT NULL AND currency IS NOT NULL))"
    )
    op.execute(
        "ALTER TABLE refund "
        "ADD COLUMN status text NOT NULL DEFAULT 'succeeded', "
        "ADD COLUMN failure_reason text, "
        "ADD COLUMN actor_id uuid, "
        "ADD COLUMN leased_until timestamptz, "
        "ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(), "
        "ADD CONSTRAINT ck_refund_status CHECK (status IN ('pending', 'succeeded', 'failed')), "
        "DROP CONSTRAINT uq_refund_payment_id"
    )
    # Every new row names its status: the default only back-filled the old ones.
    op.execute("ALTER TABLE refund ALTER COLUMN status DROP DEFAULT")
    op.execute(
        "CREATE UNIQUE INDEX uq_refund_live_per_payment ON refund (payment_id) "
        "WHERE status IN ('pending', 'succeeded')"
    )
    op.execute("CREATE INDEX ix_refund_pending ON refund (created_at) WHERE status = 'pending'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_refund_pending")
    op.execute("DROP INDEX uq_refund_live_per_payment")
    op.execute("DELETE FROM refund WHERE status <> 'succeeded'")
    op.execute(
        "ALTER TABLE refund DROP CONSTRAINT ck_refund_status, "
        "DROP COLUMN updated_at, DROP COLUMN leased_until, DROP COLUMN actor_id, "
        "DROP COLUMN failure_reason, DROP COLUMN status, "
        "ADD CONSTRAINT uq_refund_payment_id UNIQUE (payment_id)"
    )
    op.execute("UPDATE booking_copy SET status = 'cancelled' WHERE status = 'expired'")
    op.execute(
        "ALTER TABLE booking_copy "
        "DROP CONSTRAINT ck_booking_copy_status, DROP CONSTRAINT ck_booking_copy_priced, "
        "ADD CONSTRAINT ck_booking_copy_status CHECK (status IN ('pending_payment', 'cancelled')), "
        "ADD CONSTRAINT ck_booking_copy_priced "
        "CHECK (status = 'cancelled' OR (amount IS NOT NULL AND currency IS NOT NULL))"
    )
