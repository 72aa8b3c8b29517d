"""Tickets of a booking that is no longer confirmed are void.

- ``ticket_void``: one row per booking whose tickets no longer stand (booking.cancelled, or
  payment.refunded of the payment the tickets stand on). It outlives the PDF, answers the
  download with a clear 404, and keeps a late ``booking.confirmed`` from rendering again.
- ``ticket_document.payment_id``: the payment the tickets stand on (from booking.confirmed),
  so a refund of another payment of the booking leaves them alone. Null for older rows.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("ticket_document", sa.Column("payment_id", UUID(as_uuid=True), nullable=True))
    op.create_table(
        "ticket_void",
        sa.Column("booking_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("booking_id", name="pk_ticket_void"),
    )


def downgrade() -> None:
    op.drop_table("ticket_void")
    op.drop_column("ticket_document", "payment_id")
