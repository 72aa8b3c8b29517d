"""The event's waiting room settings (NULL: no waiting room)."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("ALTER TABLE event ADD COLUMN waiting_room jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE event DROP COLUMN IF EXISTS waiting_room")
