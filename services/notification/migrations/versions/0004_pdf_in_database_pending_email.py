"""Ticket PDFs in the database; emails queued for the mail sender.

- ``ticket_document.content``: the PDF bytes (``path`` goes). Any replica serves the
  download, and rendering writes no file. Rows rendered before this migration are filled
  from their files in ``TICKET_STORAGE_DIR`` when the file is there with the recorded sha256;
  a row without a readable file was answering 404 already and is dropped. Storage EXTERNAL:
  the PDF's streams are compressed already, PostgreSQL need not try again.
- ``pending_email``: an email a handler decided to send, written in its transaction and sent
  after the commit by the mail sender, which deletes it once sent or given up.
"""

import hashlib
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"

KINDS = (
    "welcome",
    "booking_confirmed",
    "booking_cancelled",
    "booking_expired",
    "refund",
    "organizer_decision",
    "password_reset",
    "email_verification",
)


def _storage_dir() -> Path:
    # Read here, once, because the setting no longer exists: where the files were written.
    return Path(os.environ.get("TICKET_STORAGE_DIR", "var/tickets"))


def _load_files() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT booking_id, path, sha256 FROM ticket_document")).all()
    for booking_id, path, sha256 in rows:
        try:
            content = (_storage_dir() / path).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(content).hexdigest() == sha256:
            conn.execute(
                sa.text("UPDATE ticket_document SET content = :content WHERE booking_id = :id"),
                {"content": content, "id": booking_id},
            )


def upgrade() -> None:
    op.add_column("ticket_document", sa.Column("content", sa.LargeBinary(), nullable=True))
    _load_files()
    op.execute("DELETE FROM ticket_document WHERE content IS NULL")
    op.alter_column("ticket_document", "content", nullable=False)
    op.execute("ALTER TABLE ticket_document ALTER COLUMN content SET STORAGE EXTERNAL")
    op.drop_column("ticket_document", "path")
    _create_pending_email()


def _create_pending_email() -> None:
    now = sa.text("now()")
    op.create_table(
        "pending_email",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("to_email", sa.Text(), nullable=False),
        sa.Column("to_name", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("ticket_booking_id", UUID(as_uuid=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_email"),
        sa.UniqueConstraint("message_id", "kind", name="uq_pending_email_message_id_kind"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name=op.f("ck_pending_email_kind")
        ),
    )
    op.create_index("ix_pending_email_next_attempt_at", "pending_email", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("pending_email")
    op.add_column("ticket_document", sa.Column("path", sa.Text(), nullable=True))
    conn = op.get_bind()
    directory = _storage_dir()
    directory.mkdir(parents=True, exist_ok=True)
    rows = conn.execute(sa.text("SELECT booking_id, content FROM ticket_document")).all()
    for booking_id, content in rows:
        (directory / f"{booking_id}.pdf").write_bytes(content)
    op.execute("UPDATE ticket_document SET path = booking_id::text || '.pdf'")
    op.alter_column("ticket_document", "path", nullable=False)
    op.drop_column("ticket_document", "content")
