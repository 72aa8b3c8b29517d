"""The ``outbox_message`` and ``processed_message`` tables, created by each service's migrations.

Call :func:`create_messaging_tables` from the first Alembic revision of every service.
"""

from __future__ import annotations

from typing import Any


def create_messaging_tables(op: Any) -> None:
    op.execute(
        """
        CREATE TABLE outbox_message (
            id uuid PRIMARY KEY,
            routing_key text NOT NULL,
            payload jsonb NOT NULL,
            correlation_id text,
            created_at timestamptz NOT NULL DEFAULT now(),
            available_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            last_error text
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_outbox_message_pending ON outbox_message (created_at) "
        "WHERE published_at IS NULL"
    )
    op.execute(
        """
        CREATE TABLE processed_message (
            message_id uuid NOT NULL,
            consumer text NOT NULL,
            message_type text NOT NULL,
            handled_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (message_id, consumer)
        )
        """
    )


def drop_messaging_tables(op: Any) -> None:
    op.execute("DROP TABLE IF EXISTS processed_message")
    op.execute("DROP TABLE IF EXISTS outbox_message")
