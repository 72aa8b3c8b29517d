"""Full-text search over events; who bought each sold place (per-buyer limits, hold fences)."""

from alembic import op

revision = "0002"
down_revision = "0001"

_SEARCH = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(location, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)


def upgrade() -> None:
    op.execute(f"ALTER TABLE event ADD COLUMN search tsvector GENERATED ALWAYS AS ({_SEARCH}) STORED")
    op.execute("CREATE INDEX ix_event_search ON event USING gin (search)")
    for table in ("sold_seat", "ga_sale"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN user_id uuid")
        op.execute(f"ALTER TABLE {table} ADD COLUMN hold_id text")
        op.execute(f"CREATE INDEX ix_{table}_buyer ON {table} (event_id, user_id)")


def downgrade() -> None:
    for table in ("sold_seat", "ga_sale"):
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_buyer")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS hold_id")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS user_id")
    op.execute("DROP INDEX IF EXISTS ix_event_search")
    op.execute("ALTER TABLE event DROP COLUMN IF EXISTS search")
