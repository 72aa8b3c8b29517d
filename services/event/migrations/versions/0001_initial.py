"""Events, ticket tiers, seats, sold seats, general-admission sales; messaging tables."""

from alembic import op

from shared.messaging.schema import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute(
        """
        CREATE TABLE event (
            id uuid PRIMARY KEY,
            organizer_id uuid NOT NULL,
            title text NOT NULL,
            description text NOT NULL DEFAULT '',
            location text NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            currency char(3) NOT NULL,
            sales_start_at timestamptz NOT NULL,
            sales_end_at timestamptz,
            max_tickets_per_order integer NOT NULL,
            max_tickets_per_buyer integer NOT NULL,
            status text NOT NULL DEFAULT 'draft',
            deleted_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT ck_event_status CHECK (status IN ('draft', 'published', 'cancelled')),
            CONSTRAINT ck_event_times CHECK (ends_at > starts_at),
            CONSTRAINT ck_event_limits CHECK (max_tickets_per_order > 0 AND max_tickets_per_buyer > 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_event_organizer_id ON event (organizer_id)")
    op.execute(
        "CREATE INDEX ix_event_published_starts_at ON event (starts_at) "
        "WHERE status = 'published' AND deleted_at IS NULL"
    )
    op.execute(
        """
        CREATE TABLE ticket_tier (
            event_id uuid NOT NULL REFERENCES event (id) ON DELETE CASCADE,
            code text NOT NULL,
            name text NOT NULL,
            price integer NOT NULL,
            capacity integer,
            position integer NOT NULL,
            PRIMARY KEY (event_id, code),
            CONSTRAINT ck_ticket_tier_price CHECK (price >= 0),
            CONSTRAINT ck_ticket_tier_capacity CHECK (capacity IS NULL OR capacity > 0)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE seat (
            event_id uuid NOT NULL,
            seat_id text NOT NULL,
            section text NOT NULL,
            "row" text NOT NULL,
            number integer NOT NULL,
            tier_code text NOT NULL,
            position integer NOT NULL,
            PRIMARY KEY (event_id, seat_id),
            FOREIGN KEY (event_id, tier_code) REFERENCES ticket_tier (event_id, code)
                ON DELETE CASCADE
        )
        """
    )
    op.execute(
        """
        CREATE TABLE sold_seat (
            event_id uuid NOT NULL,
            seat_id text NOT NULL,
            booking_id uuid NOT NULL,
            sold_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (event_id, seat_id),
            FOREIGN KEY (event_id, seat_id) REFERENCES seat (event_id, seat_id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_sold_seat_booking_id ON sold_seat (booking_id)")
    op.execute(
        """
        CREATE TABLE ga_sale (
            booking_id uuid NOT NULL,
            tier_code text NOT NULL,
            event_id uuid NOT NULL,
            quantity integer NOT NULL,
            sold_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (booking_id, tier_code),
            FOREIGN KEY (event_id, tier_code) REFERENCES ticket_tier (event_id, code)
                ON DELETE CASCADE,
            CONSTRAINT ck_ga_sale_quantity CHECK (quantity > 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_ga_sale_event_id ON ga_sale (event_id, tier_code)")


def downgrade() -> None:
    for table in ("ga_sale", "sold_seat", "seat", "ticket_tier", "event"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    drop_messaging_tables(op)
