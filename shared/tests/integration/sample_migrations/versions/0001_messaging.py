"""Messaging tables and one sample table."""

from alembic import op

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute("CREATE TABLE sample_effect (message_id uuid PRIMARY KEY, note text NOT NULL)")
    op.execute(
        "CREATE TABLE idempotency_key (user_id uuid NOT NULL, key text NOT NULL, "
        "request_hash text NOT NULL, response_status integer, response_body jsonb, "
        "created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (user_id, key))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_key")
    op.execute("DROP TABLE sample_effect")
    drop_messaging_tables(op)
