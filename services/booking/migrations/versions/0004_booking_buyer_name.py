"""The buyer's name on each booking (from the access token's ``name``), for attendee lists."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Not null with a default: bookings made before tokens carried a name read "" (no rewrite:
    # PostgreSQL keeps a constant default in the catalogue).
    op.add_column(
        "booking", sa.Column("buyer_name", sa.Text(), server_default="", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("booking", "buyer_name")
