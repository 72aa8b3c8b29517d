"""StreamedResponse under a real uvicorn server: the body streams as it is produced, and a
client that leaves ends the stream (its iterator is closed: a live feed forgets the listener)
without an error; the response carries no Content-Length."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from shared.streaming import StreamedResponse
from shared.testing.server import serving

pytestmark = pytest.mark.integration


async def test_stream_sends_as_produced_and_ends_when_the_client_leaves() -> None:
    closed = asyncio.Event()
    news: asyncio.Queue[bytes] = asyncio.Queue()
    app = FastAPI()

    async def feed() -> AsyncIterator[bytes]:
        try:
            yield b"event: first\n\n"
            while True:
                yield await news.get()
        finally:
            closed.set()

    @app.get("/stream")
    async def stream() -> StreamedResponse:
        return StreamedResponse(feed(), media_type="text/event-stream")

    async with serving(app) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
        head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        first = await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
        await news.put(b"event: second\n\n")
        second = await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
        writer.close()
        await asyncio.wait_for(closed.wait(), 5)

    assert head.startswith("http/1.1 200") and "content-type: text/event-stream" in head
    assert "content-length" not in head
    assert first.endswith(b"event: first\n\n") and second.endswith(b"event: second\n\n")
    assert closed.is_set()
