"""The authorization matrix: for every public operation, the status each kind of caller gets
through the gateway — anonymous, another customer, another organizer, the owner, an admin.

It is the documentation (``docs/authorization.md`` is rendered from it:
``.venv/bin/python -m tests.e2e.authz_table > docs/authorization.md``) and the test
(``test_authz_matrix.py`` asks every cell and compares). The owner is who the contract names:
the event's organizer for event operations, the buyer for holds, bookings and payments, the
registrant for webhooks; ``—`` where a caller has no meaning (public operations have no owner,
admin-only ones none either). Ids are the matrix's own objects: an organizer's published event
with a confirmed booking, a live hold, a payment and a webhook; destructive operations act on a
fresh object per caller; admin-only actions on a random id, so that an admin's 404 says the
request got past authorization without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "customer", "organizer", "owner", "admin")
HEADINGS = ("anonymous", "another customer", "another organizer", "owner", "admin")

Cells = tuple[int | None, int | None, int | None, int | None, int | None]


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # with {event}, {hold}, {booking}, {payment}, {webhook}, {delivery}, {random}
    expected: Cells
    owner: str = "—"  # who the owner is, in words
    body: dict[str, Any] | None = None
    fresh: str | None = None  # a fresh object per caller: see World.fresh in the test
    params: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


_EVENT = "the event's organizer"
_BUYER = "the buyer"
_USER = "the signed-in user"
_REG = {"password": "a long enough one", "full_name": "Matrix Person"}

OPS: tuple[Op, ...] = (
    # --- auth ---------------------------------------------------------------------------------
    Op("POST", "/api/auth/register", (201, 201, 201, None, 201), body={"email": "{email}", **_REG}),
    Op("POST", "/api/auth/login", (401, 401, 401, None, 401),
       body={"email": "nobody@matrix.test", "password": "wrong password"}),
    Op("POST", "/api/auth/refresh", (401, 401, 401, None, 401), body={"refresh_token": "x" * 40}),
    Op("POST", "/api/auth/logout", (401, 204, 204, None, 204), body={"refresh_token": "x" * 40},
       fresh="session"),
    Op("GET", "/api/auth/me", (401, 200, 200, None, 200)),
    Op("PATCH", "/api/auth/me", (401, 200, 200, None, 200), body={"full_name": "Matrix Person"}),
    Op("POST", "/api/auth/change-password", (401, 400, 400, None, 400),
       body={"current_password": "not the password", "new_password": "another long one"}),
    Op("POST", "/api/auth/verify-email", (400, 400, 400, None, 400), body={"token": "x" * 40}),
    Op("POST", "/api/auth/resend-verification", (202, 202, 202, None, 202),
       body={"email": "nobody@matrix.test"}),
    Op("POST", "/api/auth/forgot-password", (202, 202, 202, None, 202),
       body={"email": "nobody@matrix.test"}),
    Op("POST", "/api/auth/reset-password", (400, 400, 400, None, 400),
       body={"token": "x" * 40, "new_password": "another long one"}),
    Op("GET", "/api/auth/.well-known/jwks.json", (200, 200, 200, None, 200)),
    # the matrix's customer and organizer never verified their email: 403 email_not_verified
    Op("POST", "/api/auth/organizer-applications", (401, 403, 403, None, 409), fresh="application"),
    Op("GET", "/api/auth/admin/organizer-applications", (401, 403, 403, None, 200)),
    Op("POST", "/api/auth/admin/organizer-applications/{random}/approve",
       (401, 403, 403, None, 404), body={}),
    Op("POST", "/api/auth/admin/organizer-applications/{random}/reject",
       (401, 403, 403, None, 404), body={}),
    Op("GET", "/api/auth/admin/organizer-applications/{random}/document",
       (401, 403, 403, None, 404)),
    Op("GET", "/api/auth/admin/users", (401, 403, 403, None, 200)),
    Op("PATCH", "/api/auth/admin/users/{random}", (401, 403, 403, None, 404),
       body={"disabled": False}),
    Op("DELETE", "/api/auth/admin/users/{random}", (401, 403, 403, None, 404)),
    Op("GET", "/api/auth/admin/audit-logs", (401, 403, 403, None, 200)),
    # --- events -------------------------------------------------------------------------------
    Op("GET", "/api/events", (200, 200, 200, None, 200)),
    Op("POST", "/api/events", (401, 403, 201, None, 201), fresh="event_body"),
    Op("GET", "/api/events/mine", (401, 403, 200, None, 200)),
    Op("GET", "/api/events/{event}", (200, 200, 200, 200, 200), _EVENT),
    Op("PATCH", "/api/events/{event}", (401, 403, 403, 200, 200), _EVENT,
       body={"title": "Matrix Night"}),
    Op("DELETE", "/api/events/{draft}", (401, 403, 404, 204, 204), _EVENT, fresh="draft"),
    Op("GET", "/api/events/{event}/seats", (200, 200, 200, 200, 200), _EVENT),
    Op("POST", "/api/events/{draft}/publish", (401, 403, 404, 200, 200), _EVENT, fresh="draft"),
    Op("POST", "/api/events/{published}/cancel", (401, 403, 403, 200, 200), _EVENT,
       fresh="published"),
    Op("POST", "/api/events/{event}/holds", (401, 201, 201, None, 201),
       body={"tier": "vip", "quantity": 1, "best_available": True}),
    Op("GET", "/api/events/{event}/holds/{hold}", (401, 404, 404, 200, 404), _BUYER),
    Op("DELETE", "/api/events/{event}/holds/{fresh_hold}", (401, 404, 404, 204, 404), _BUYER,
       fresh="hold"),
    Op("POST", "/api/events/{event}/queue", (401, 409, 409, None, 409)),
    Op("GET", "/api/events/{event}/queue/me", (401, 409, 409, None, 409)),
    Op("DELETE", "/api/events/{event}/queue/me", (401, 204, 204, None, 204)),
    Op("POST", "/api/events/{event}/waitlist", (401, 409, 409, None, 409),
       body={"tier": "vip", "quantity": 1}),
    Op("GET", "/api/events/{event}/waitlist/me", (401, 200, 200, None, 200)),
    Op("DELETE", "/api/events/{event}/waitlist/me", (401, 204, 204, None, 204),
       params={"tier": "vip"}),
    Op("GET", "/api/events/{event}/live", (200, 200, 200, 200, 200), _EVENT),
    # --- bookings -----------------------------------------------------------------------------
    Op("POST", "/api/bookings", (401, 403, 403, 201, 403), _BUYER, fresh="hold"),
    Op("GET", "/api/bookings", (401, 200, 200, None, 200)),
    Op("GET", "/api/bookings/.well-known/ticket-keys", (200, 200, 200, None, 200)),
    Op("GET", "/api/bookings/sales", (401, 403, 200, 200, 200), "the organizer"),
    # another organizer's event is not found (its existence is not theirs to learn)
    Op("GET", "/api/bookings/events/{event}/sales", (401, 403, 404, 200, 200), _EVENT),
    Op("GET", "/api/bookings/events/{event}/attendees.csv", (401, 403, 404, 200, 200), _EVENT),
    Op("GET", "/api/bookings/admin/all", (401, 403, 403, None, 200)),
    Op("POST", "/api/bookings/checkin", (401, 403, 403, 200, 200), _EVENT, fresh="ticket"),
    Op("GET", "/api/bookings/{booking}", (401, 404, 404, 200, 200), _BUYER),
    Op("POST", "/api/bookings/{pending}/cancel", (401, 404, 404, 200, 200), _BUYER,
       fresh="pending"),
    # --- payments -----------------------------------------------------------------------------
    Op("POST", "/api/payments", (401, 404, 404, 201, 404), _BUYER, fresh="payable"),
    Op("GET", "/api/payments", (401, 200, 200, None, 200)),
    Op("GET", "/api/payments/{payment}", (401, 404, 404, 200, 200), _BUYER),
    Op("POST", "/api/payments/{refundable}/refund", (401, 403, 403, 403, 200), _BUYER,
       body={"reason": "matrix"}, fresh="refundable"),
    # --- notifications ------------------------------------------------------------------------
    Op("GET", "/api/notifications", (401, 200, 200, None, 200)),
    Op("GET", "/api/notifications/tickets/{booking}/pdf", (401, 404, 404, 200, 200), _BUYER),
    Op("POST", "/api/notifications/webhooks", (401, 403, 201, None, 201),
       body={"url": "http://127.0.0.1:9/matrix", "events": ["booking.confirmed"]}),
    Op("GET", "/api/notifications/webhooks", (401, 200, 200, None, 200)),
    Op("DELETE", "/api/notifications/webhooks/{fresh_webhook}", (401, 404, 404, 204, 404),
       "the registrant", fresh="webhook"),
    Op("GET", "/api/notifications/webhooks/{webhook}/deliveries", (401, 404, 404, 200, 404),
       "the registrant"),
    Op("POST", "/api/notifications/webhooks/{webhook}/deliveries/{delivery}/redeliver",
       (401, 404, 404, 202, 404), "the registrant"),
)  # fmt: skip


def render(ops: tuple[Op, ...] = OPS) -> str:
    """The matrix as Markdown (docs/authorization.md)."""
    lines = [
        "# Authorization matrix",
        "",
        "What each caller gets through the gateway, for every public operation — asked, cell",
        "by cell, by `tests/e2e/test_authz_matrix.py` in `make test`; rendered from",
        "`tests/e2e/authz_table.py` (`.venv/bin/python -m tests.e2e.authz_table >",
        'docs/authorization.md`). "Another" customer or organizer is not the owner; the owner',
        "is who the contract names. `—`: no such caller for that operation. Ids are the",
        "test's own objects; destructive operations act on a fresh object per caller, and",
        "admin-only actions on a random id (an admin's 404 means the request got past",
        "authorization). A few answers are not about authorization: 409 from the waiting room",
        "(the event has none) and the waiting list (places are left), 400 for bogus tokens.",
        "",
        "| operation | " + " | ".join(HEADINGS) + " | owner is |",
        "|---|" + "---|" * (len(HEADINGS) + 1),
    ]
    for op in ops:
        cells = [str(c) if c is not None else "—" for c in op.expected]
        lines.append(f"| `{op.name}` | " + " | ".join(cells) + f" | {op.owner} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201 - the CLI writes the document to stdout
