"""A tiny service built only from shared/, to test the plumbing against the real servers."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import db, idempotency
from shared.contracts.auth import SessionRevokedV1
from shared.contracts.event import EventCancelledV1
from shared.errors import Conflict
from shared.idempotency import IdempotencyKeyHeader
from shared.messaging import Envelope, outbox
from shared.openapi import errors
from shared.pagination import Page, Pagination
from shared.runtime import Runtime, SessionDep, service_app
from shared.security import AdminUser, CurrentUser, InternalCaller
from shared.settings import ServiceSettings
from shared.testing.app import running_app, service_settings
from shared.types import Input, MultiLine, SingleLine, Timestamp

MIGRATIONS = Path(__file__).parent / "sample_migrations"


REVOKED_BEFORE_START = uuid.uuid4()
ORDER_RUNS: list[str] = []
AFTER_COMMIT_RAN: list[str] = []


class EchoBody(BaseModel):
    text: str


class NoteIn(Input):
    title: SingleLine
    text: MultiLine = ""
    at: Timestamp


class SampleSettings(ServiceSettings):
    SERVICE_NAME: str = "sample"
    API_PREFIX: str = "/api/sample"


@dataclass(frozen=True)
class SampleContext:
    """What the sample service owns: a record of its periodic job's runs."""

    ticks: list[float]


async def build_sample_context(rt: Runtime[SampleSettings, SampleContext]) -> SampleContext:
    context = SampleContext(ticks=[])

    async def tick(ctx: SampleContext) -> None:
        ctx.ticks.append(time.monotonic())

    rt.every(0.05, tick, name="sample-tick")
    return context


async def on_event_cancelled(
    session: AsyncSession, envelope: Envelope[EventCancelledV1], ctx: SampleContext
) -> None:
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
            )
        return body

    @router.get("/{item_id}")
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

    @router.post("/orders", status_code=201, responses=errors(409))
    async def order(
        session: SessionDep,
        request: Request,
        body: dict[str, str],
        key: IdempotencyKeyHeader = None,
    ) -> JSONResponse:
        """An idempotent POST: counts how often its work really ran."""
        user = uuid.UUID(body["user_id"])

        async def run(claim: idempotency.KeyClaim) -> idempotency.StoredResponse:
            ORDER_RUNS.append(body["item"])
            if body["item"] == "explode":
                raise RuntimeError("the use case failed")
            response = idempotency.StoredResponse(
                201, {"item": body["item"], "runs": len(ORDER_RUNS)}
            )
            async with session.begin():
                await claim.record(session, response)
            return response

        stored = await idempotency.run_once(
            session, user_id=user, key=key, body=body, settings=settings, run=run
        )
        headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
        return JSONResponse(stored.body, status_code=stored.status, headers=headers)

    @router.post("/committed")
    async def committed(session: SessionDep, body: dict[str, str]) -> dict[str, str]:
        """Registers an after-commit job, then commits or rolls back as asked."""

        async def job() -> None:
            AFTER_COMMIT_RAN.append(body["note"])

        try:
            async with session.begin():
                db.after_commit(session, job)
                db.after_commit(session, job)  # the same job twice runs once
                if body.get("fail"):
                    raise RuntimeError("roll back")
        except RuntimeError:
            return {"outcome": "rolled back"}
        await db.settle()
        return {"outcome": "committed"}

    internal = APIRouter(prefix="/internal", dependencies=[InternalCaller])

    @internal.post("/echo")
    async def echo(body: EchoBody) -> EchoBody:
        if body.text == "refuse":
            raise Conflict("No.", code="refused", details={"why": "asked to"})
        if body.text == "garbage":
            return EchoBody.model_construct(text=None)  # type: ignore[arg-type]
        return body

    return service_app(
        settings,
        title="sample",
        description="A service made only of shared/.",
        routers=[router, internal],
        migrations_dir=MIGRATIONS,
        build_context=build_sample_context,
        subscriptions={"event.cancelled": on_event_cancelled},
        revocation_source=lambda _rt: revoked_at_start,
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


@pytest.fixture
def order_runs() -> list[str]:
    """Every time the sample's idempotent POST really ran its work."""
    return ORDER_RUNS


@pytest.fixture
def after_commit_ran() -> list[str]:
    """Every after-commit job of the sample's ``/committed`` that ran."""
    return AFTER_COMMIT_RAN
