"""The ceiling of the benchmark: a bare FastAPI endpoint (no middleware, no I/O)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/api/events/bare")
async def bare() -> dict[str, bool]:
    return {"ok": True}
