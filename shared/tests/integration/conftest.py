"""A tiny service built only from shared/, to test the plumbing against the real servers."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from shared.contracts.auth import SessionRevokedV1
from shared.contracts.event import EventCancelledV1
from shared.errors import Conflict
from shared.messaging import Envelope, outbox
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import Runtime, SessionDep, readiness_of
from shared.security import AdminUser, CurrentUser
from shared.settings import ServiceSettings
from shared.testing.app import running_app, service_settings
from shared.types import Input, MultiLine, SingleLine, Timestamp
from shared.web import build_app

MIGRATIONS = Path(__file__).parent / "sample_migrations"


REVOKED_BEFORE_START = uuid.uuid4()


class NoteIn(Input):
    title: SingleLine
    text: MultiLine = ""
    at: Timestamp


class SampleSettings(ServiceSettings):
    SERVICE_NAME: str = "sample"
    API_PREFIX: str = "/api/sample"


async def on_event_cancelled(session: Any, envelope: Envelope[EventCancelledV1], rt: Any) -> None:
    if envelope.data.reason == "explode":
        raise RuntimeError("handler failure on purpose")
    await session.execute(
        text("INSERT INTO sample_effect (message_id, note) VALUES (:id, :note)"),
        {"id": envelope.id, "note": envelope.data.title},
    )


def create_sample_app(settings: SampleSettings) -> FastAPI:
    router = APIRouter(prefix="/api/sample")

    @router.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"id": str(user.id), "role": user.role}

    @router.get("/admin")
    async def admin_only(user: AdminUser) -> dict[str, str]:
        return {"id": str(user.id)}

    @router.get("/conflict")
    async def conflict() -> None:
        raise Conflict(
            "Seats A-1 taken.", code="seats_unavailable", details={"unavailable": ["A-1"]}
        )

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    @router.get("/items")
    async def items(page: Pagination, q: int = 0) -> Page[int]:
        data = list(range(57))
        chunk = data[page.offset : page.offset + page.page_size]
        return Page(items=chunk, page=page.page, page_size=page.page_size, total=len(data))

    @router.post("/announce")
    async def announce(session: SessionDep, body: dict[str, str]) -> dict[str, str]:
        async with session.begin():
            envelope = await outbox.add(
                session,
                EventCancelledV1(
                    event_id=uuid.uuid4(),
                    organizer_id=uuid.uuid4(),
                    title=body["title"],
                    reason=body.get("reason"),
                ),
                producer="sample",
            )
        return {"id": str(envelope.id)}

    @router.post("/notes", status_code=201, responses=errors(409))
    async def add_note(session: SessionDep, body: NoteIn) -> dict[str, str]:
        async with session.begin():
            await session.execute(
                text("INSERT INTO sample_effect (message_id, note) VALUES (:id, :note)"),
                {"id": uuid.uuid4(), "note": f"{body.title}|{body.text}|{body.at.isoformat()}"},
            )
        return {"title": body.title}

    @router.post("/raw-notes", status_code=201)
    async def add_raw_note(session: SessionDep, body: dict[str, str]) -> dict[str, str]:
        """Stores whatever it is given: the database's own refusal must be a 422."""
        async with session.begin():
            await session.execute(
                text("INSERT INTO sample_effect (message_id, note) VALUES (:id, :note)"),
                {"id": uuid.uuid4(), "note": body["note"]},
            )
        return body

    @router.post("/revoke")
    async def revoke(session: SessionDep, body: dict[str, str]) -> dict[str, str]:
        async with session.begin():
            await outbox.add(
                session,
                SessionRevokedV1(
                    user_id=uuid.uuid4(),
                    session_ids=[uuid.UUID(body["session_id"])],
                    reason="logout",
                    expires_at=datetime.now(UTC) + timedelta(minutes=15),
                ),
                producer="sample",
            )
        return body

    @router.get("/things/{item_id}")
    async def item(item_id: uuid.UUID, user: CurrentUser) -> dict[str, str]:
        return {"id": str(item_id)}

    async def revoked_at_start() -> list[SessionRevokedV1]:
        return [
            SessionRevokedV1(
                user_id=uuid.uuid4(),
                session_ids=[REVOKED_BEFORE_START],
                reason="disabled",
                expires_at=datetime.now(UTC) + timedelta(minutes=15),
            )
        ]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime.start(
            settings,
            migrations_dir=MIGRATIONS,
            subscriptions={"event.cancelled": on_event_cancelled},
            revocation_source=lambda _rt: revoked_at_start,
        ) as rt:
            app.state.runtime = rt
            app.state.verifier = rt.verifier
            yield

    return build_app(
        settings, title="sample", routers=[router], lifespan=lifespan, readiness=readiness_of
    )


@pytest.fixture(scope="session")
async def sample_settings(infra: Any, make_database: Any, make_namespace: Any, signer: Any) -> Any:
    url = await make_database("booking")
    return service_settings(
        SampleSettings,
        infra=infra,
        database_url=url,
        namespace=make_namespace("sample"),
        signer=signer,
        AMQP_DELIVERY_LIMIT=3,
    )


@pytest.fixture(scope="session")
async def sample(sample_settings: Any) -> AsyncIterator[Any]:
    async with running_app(create_sample_app, sample_settings) as (app, client):
        yield app, client


@pytest.fixture
def revoked_before_start() -> uuid.UUID:
    """A session the sample's revocation source reports as revoked when the process starts."""
    return REVOKED_BEFORE_START
