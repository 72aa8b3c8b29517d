"""Bookings, booked seats, tickets, idempotency keys and the messaging tables."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None

STATUSES = "('pending_payment', 'confirmed', 'cancelled', 'expired', 'refunded')"


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "booking",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_email", sa.String(254), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("hold_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_title", sa.Text(), nullable=False),
        sa.Column("event_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_location", sa.Text(), nullable=False),
        sa.Column("payment_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_booking_status_known")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_booking_amount_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_booking_hold_id")),
    )
    op.create_index("ix_booking_user_id_created_at", "booking", ["user_id", "created_at"])
    op.create_index("ix_booking_event_id_status", "booking", ["event_id", "status"])
    op.create_index(
        "ix_booking_pending_expires_at",
        "booking",
        ["expires_at"],
        postgresql_where=sa.text("status = 'pending_payment'"),
    )

    op.create_table(
        "booked_seat",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("booking_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.String(64), nullable=True),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_booked_seat_status_known")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_booked_seat_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_booked_seat_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booked_seat")),
    )
    op.create_index("ix_booked_seat_booking_id", "booked_seat", ["booking_id"])
    # DESIGN.md invariant 1: a seat is held by at most one live booking, whatever Redis says.
    op.create_index(
        "uq_booked_seat_active_seat",
        "booked_seat",
        ["event_id", "seat_id"],
        unique=True,
        postgresql_where=sa.text(
            "status IN ('pending_payment', 'confirmed') AND seat_id IS NOT NULL"
        ),
    )

    op.create_table(
        "ticket",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("booking_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.String(64), nullable=True),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_ticket_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("code", name=op.f("uq_ticket_code")),
    )
    op.create_index("ix_ticket_booking_id", "ticket", ["booking_id"])

    op.create_table(
        "idempotency_key",
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_key")
    op.drop_table("ticket")
    op.drop_table("booked_seat")
    op.drop_table("booking")
    drop_messaging_tables(op)
