"""Messaging tables, recipient, notification, ticket_document."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None

KINDS = (
    "welcome",
    "booking_confirmed",
    "booking_cancelled",
    "booking_expired",
    "refund",
    "organizer_decision",
    "password_reset",
)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "recipient",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_recipient"),
    )
    op.create_table(
        "notification",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), server_default=sa.text("'email'"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notification"),
        sa.UniqueConstraint("message_id", "kind", name="uq_notification_message_id_kind"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name="ck_notification_kind"
        ),
        sa.CheckConstraint("status IN ('sent', 'failed')", name="ck_notification_status"),
    )
    op.create_index(
        "ix_notification_user_id_created_at",
        "notification",
        ["user_id", sa.text("created_at DESC")],
    )
    op.create_table(
        "ticket_document",
        sa.Column("booking_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name="pk_ticket_document"),
    )


def downgrade() -> None:
    op.drop_table("ticket_document")
    op.drop_table("notification")
    op.drop_table("recipient")
    drop_messaging_tables(op)
