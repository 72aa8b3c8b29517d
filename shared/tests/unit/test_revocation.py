"""The in-memory deny-list of ended sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.contracts.auth import SessionRevokedV1
from shared.revocation import RevocationList, parse_revocations, revoked_payload


def _revoked(*session_ids: uuid.UUID, seconds: float = 900) -> SessionRevokedV1:
    return SessionRevokedV1(
        user_id=uuid.uuid4(),
        session_ids=list(session_ids),
        reason="logout",
        expires_at=datetime.now(UTC) + timedelta(seconds=seconds),
    )


def test_session_is_revoked_when_listed_until_it_expires() -> None:
    kept, other = uuid.uuid4(), uuid.uuid4()
    revocations = RevocationList()
    revocations.add(_revoked(kept))
    assert revocations.is_revoked(str(kept))
    assert not revocations.is_revoked(str(other))


def test_revocation_is_ignored_when_every_token_it_covers_has_expired() -> None:
    gone = uuid.uuid4()
    revocations = RevocationList()
    revocations.add(_revoked(gone, seconds=-1))
    assert not revocations.is_revoked(str(gone))
    assert len(revocations) == 0


def test_prune_forgets_entries_when_they_expired() -> None:
    session_id = uuid.uuid4()
    revocations = RevocationList()
    revocations.add(_revoked(session_id, seconds=900))
    revocations._until[str(session_id)] = 0.0  # as if 15 minutes had passed
    revocations.prune()
    assert len(revocations) == 0


def test_payload_round_trips_when_auth_serves_it() -> None:
    items = [_revoked(uuid.uuid4(), uuid.uuid4())]
    assert parse_revocations(revoked_payload(items)) == items
