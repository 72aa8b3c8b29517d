"""The ceiling for `make bench`: a bare FastAPI JSON endpoint, nothing else (no middleware, no DB).

uvicorn devstack.bare:app --port 9000
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/api/events")
async def bare() -> dict[str, bool]:
    return {"ok": True}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
