"""Migration 0004 moves the PDFs rendered before it from their files into the database."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from notification_service.main import MIGRATIONS_DIR
from shared.db import alembic_config

pytestmark = pytest.mark.integration

_INSERT = text(
    "INSERT INTO ticket_document (booking_id, user_id, event_id, path, sha256, pages) "
    "VALUES (:id, :id, :id, :path, :sha256, 1)"
)


async def test_stored_files_move_into_the_database_when_migrating_to_0004(
    make_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_database("notification")
    config = alembic_config(MIGRATIONS_DIR, url)
    await asyncio.to_thread(command.upgrade, config, "0003")
    kept, missing, altered = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    content = b"%PDF-1.4 a ticket"
    (tmp_path / f"{kept}.pdf").write_bytes(content)
    (tmp_path / f"{altered}.pdf").write_bytes(b"not what was recorded")
    digest = hashlib.sha256(content).hexdigest()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for booking_id in (kept, missing, altered):
                values = {"id": booking_id, "path": f"{booking_id}.pdf", "sha256": digest}
                await conn.execute(_INSERT, values)
        monkeypatch.setenv("TICKET_STORAGE_DIR", str(tmp_path))
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT booking_id, content FROM ticket_document"))
            ).all()
    finally:
        await engine.dispose()
    # a row whose file is gone or differs was answering 404 already: it goes
    assert [(row.booking_id, row.content) for row in rows] == [(kept, content)]


async def test_pdfs_are_written_back_to_files_when_downgrading_from_0004(
    make_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_database("notification")
    config = alembic_config(MIGRATIONS_DIR, url)
    await asyncio.to_thread(command.upgrade, config, "head")
    booking_id, content = uuid.uuid4(), b"%PDF-1.4 a ticket"
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO ticket_document (booking_id, user_id, event_id, content, "
                    "sha256, pages) VALUES (:id, :id, :id, :content, 'x', 1)"
                ),
                {"id": booking_id, "content": content},
            )
        monkeypatch.setenv("TICKET_STORAGE_DIR", str(tmp_path))
        await asyncio.to_thread(command.downgrade, config, "0003")
        async with engine.connect() as conn:
            path = await conn.scalar(text("SELECT path FROM ticket_document"))
    finally:
        await engine.dispose()
    assert path == f"{booking_id}.pdf"
    assert (tmp_path / path).read_bytes() == content
