"""Notification kind ``waitlist_offer`` (event's waitlist.offered): the email telling someone
on a waiting list that places are held for them."""

from alembic import op

revision = "0005"
down_revision = "0004"

OLD_KINDS = (
    "welcome",
    "booking_confirmed",
    "booking_cancelled",
    "booking_expired",
    "refund",
    "organizer_decision",
    "password_reset",
    "email_verification",
)
NEW_KINDS = (*OLD_KINDS, "waitlist_offer")
TABLES = ("notification", "pending_email")


def _replace(kinds: tuple[str, ...]) -> None:
    check = "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
    for table in TABLES:
        op.drop_constraint(op.f(f"ck_{table}_kind"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_kind"), table, check)


def upgrade() -> None:
    _replace(NEW_KINDS)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE kind = 'waitlist_offer'")  # noqa: S608 - constants
    _replace(OLD_KINDS)
