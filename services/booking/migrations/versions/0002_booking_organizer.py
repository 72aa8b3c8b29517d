"""The event's organizer on each booking (organizer access to bookings, sales and check-in)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # Nullable: bookings made before event's claim answer carried the organizer keep null.
    op.add_column("booking", sa.Column("organizer_id", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_index("ix_booking_organizer_id_event_id", "booking", ["organizer_id", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_booking_organizer_id_event_id", table_name="booking")
    op.drop_column("booking", "organizer_id")
