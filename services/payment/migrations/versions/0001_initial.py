"""Messaging tables, booking copies, payments, refunds, idempotency keys."""

from alembic import op

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute(
        """
        CREATE TABLE booking_copy (
            booking_id uuid NOT NULL,
            user_id uuid NOT NULL,
            event_id uuid NOT NULL,
            amount bigint,
            currency text,
            status text NOT NULL,
            expires_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_booking_copy PRIMARY KEY (booking_id),
            CONSTRAINT ck_booking_copy_status CHECK (status IN ('pending_payment', 'cancelled')),
            CONSTRAINT ck_booking_copy_priced
                CHECK (status = 'cancelled' OR (amount IS NOT NULL AND currency IS NOT NULL))
        )
        """
    )
    op.execute(
        """
        CREATE TABLE payment (
            id uuid NOT NULL,
            booking_id uuid NOT NULL,
            user_id uuid NOT NULL,
            amount bigint NOT NULL,
            currency text NOT NULL,
            status text NOT NULL,
            failure_reason text,
            retryable boolean NOT NULL DEFAULT false,
            card_last4 text NOT NULL,
            card_brand text NOT NULL,
            processor_ref text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_payment PRIMARY KEY (id),
            CONSTRAINT fk_payment_booking_id_booking_copy
                FOREIGN KEY (booking_id) REFERENCES booking_copy (booking_id),
            CONSTRAINT ck_payment_status
                CHECK (status IN ('processing', 'succeeded', 'failed', 'refunded')),
            CONSTRAINT ck_payment_amount_not_negative CHECK (amount >= 0)
        )
        """
    )
    # At most one in-flight / succeeded / refunded payment per booking: a second successful
    # charge for one booking cannot be recorded, whatever the application does.
    op.execute(
        "CREATE UNIQUE INDEX uq_payment_live_per_booking ON payment (booking_id) "
        "WHERE status IN ('processing', 'succeeded', 'refunded')"
    )
    op.execute("CREATE INDEX ix_payment_user_created ON payment (user_id, created_at)")
    op.execute("CREATE INDEX ix_payment_booking_id ON payment (booking_id)")
    op.execute(
        """
        CREATE TABLE refund (
            id uuid NOT NULL,
            payment_id uuid NOT NULL,
            amount bigint NOT NULL,
            currency text NOT NULL,
            reason text NOT NULL,
            processor_ref text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_refund PRIMARY KEY (id),
            CONSTRAINT uq_refund_payment_id UNIQUE (payment_id),
            CONSTRAINT fk_refund_payment_id_payment FOREIGN KEY (payment_id) REFERENCES payment (id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE idempotency_key (
            user_id uuid NOT NULL,
            key text NOT NULL,
            request_hash text NOT NULL,
            response_status integer,
            response_body jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_idempotency_key PRIMARY KEY (user_id, key)
        )
        """
    )
    op.execute("CREATE INDEX ix_idempotency_key_created_at ON idempotency_key (created_at)")


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_key")
    op.execute("DROP TABLE refund")
    op.execute("DROP TABLE payment")
    op.execute("DROP TABLE booking_copy")
    drop_messaging_tables(op)
