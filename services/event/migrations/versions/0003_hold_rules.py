"""Per-event defences against inventory hoarding: verified email, holds per address, cool-down."""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE event
            ADD COLUMN verified_email_required boolean NOT NULL DEFAULT false,
            ADD COLUMN max_live_holds_per_address integer DEFAULT 20,
            ADD COLUMN rehold_cooldown_seconds integer NOT NULL DEFAULT 60,
            ADD CONSTRAINT ck_event_hold_rules CHECK (
                (max_live_holds_per_address IS NULL OR max_live_holds_per_address > 0)
                AND rehold_cooldown_seconds >= 0
            )
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE event
            DROP CONSTRAINT IF EXISTS ck_event_hold_rules,
            DROP COLUMN IF EXISTS rehold_cooldown_seconds,
            DROP COLUMN IF EXISTS max_live_holds_per_address,
            DROP COLUMN IF EXISTS verified_email_required
        """
    )
