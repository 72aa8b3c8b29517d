"""Notification kind ``email_verification`` (user.verification_requested).

Also gives the two CHECK constraints the names the ORM declares (0001 created them through
the naming convention twice: ``ck_notification_ck_notification_kind``).
"""

from alembic import op

revision = "0002"
down_revision = "0001"

OLD_KINDS = (
    "welcome",
    "booking_confirmed",
    "booking_cancelled",
    "booking_expired",
    "refund",
    "organizer_decision",
    "password_reset",
)
NEW_KINDS = (*OLD_KINDS, "email_verification")


def _kind_check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE notification "
        "DROP CONSTRAINT IF EXISTS ck_notification_ck_notification_kind, "
        "DROP CONSTRAINT IF EXISTS ck_notification_kind"
    )
    op.create_check_constraint(op.f("ck_notification_kind"), "notification", _kind_check(NEW_KINDS))
    op.execute(
        "ALTER TABLE notification RENAME CONSTRAINT "
        "ck_notification_ck_notification_status TO ck_notification_status"
    )


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE kind = 'email_verification'")
    op.execute(
        "ALTER TABLE notification RENAME CONSTRAINT "
        "ck_notification_status TO ck_notification_ck_notification_status"
    )
    op.drop_constraint(op.f("ck_notification_kind"), "notification", type_="check")
    op.create_check_constraint(
        op.f("ck_notification_ck_notification_kind"), "notification", _kind_check(OLD_KINDS)
    )
