"""The runtime's own protocols: jobs get the context, after-commit jobs, idempotent POSTs and
the internal HTTP client — on the sample service and the real servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from shared.errors import Conflict, UpstreamUnavailable
from shared.http import InternalClient, Refusal

pytestmark = pytest.mark.integration


class Echo(BaseModel):
    text: str


async def test_periodic_job_runs_with_the_context_when_the_service_runs(sample: Any) -> None:
    app, _ = sample
    ticks = app.state.runtime.context.ticks
    before = len(ticks)
    for _ in range(40):
        if len(ticks) >= before + 2:
            break
        await asyncio.sleep(0.05)
    assert len(ticks) >= before + 2


async def test_after_commit_job_runs_once_when_committed_and_never_when_rolled_back(
    sample: Any, after_commit_ran: list[str]
) -> None:
    _, client = sample
    kept, dropped = f"kept-{uuid.uuid4().hex[:6]}", f"dropped-{uuid.uuid4().hex[:6]}"
    assert (await client.post("/api/sample/committed", json={"note": kept})).json() == {
        "outcome": "committed"
    }
    response = await client.post("/api/sample/committed", json={"note": dropped, "fail": "1"})
    assert response.json() == {"outcome": "rolled back"}
    assert after_commit_ran.count(kept) == 1
    assert dropped not in after_commit_ran


async def test_idempotent_post_runs_once_and_replays_when_the_key_is_reused(
    sample: Any, order_runs: list[str]
) -> None:
    _, client = sample
    user, key, item = str(uuid.uuid4()), uuid.uuid4().hex, f"seat-{uuid.uuid4().hex[:6]}"
    body = {"user_id": user, "item": item}
    first = await client.post("/api/sample/orders", json=body, headers={"Idempotency-Key": key})
    again = await client.post("/api/sample/orders", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert order_runs.count(item) == 1
    other = await client.post(
        "/api/sample/orders", json={**body, "item": "else"}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_conflict"


async def test_failed_first_attempt_gives_the_key_up_when_the_use_case_raises(
    sample: Any, order_runs: list[str]
) -> None:
    _, client = sample
    body = {"user_id": str(uuid.uuid4()), "item": "explode"}
    key = uuid.uuid4().hex
    first = await client.post("/api/sample/orders", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 500
    runs = order_runs.count("explode")
    retry = await client.post("/api/sample/orders", json=body, headers={"Idempotency-Key": key})
    assert retry.status_code == 500  # it ran again: the failed claim was given up
    assert order_runs.count("explode") == runs + 1


def _internal(sample: Any, http: httpx2.AsyncClient) -> InternalClient:
    app, _ = sample
    return InternalClient(http, app.state.settings, service="sample", base_url="http://testserver")


async def test_internal_client_parses_the_answer_when_the_call_succeeds(sample: Any) -> None:
    app, client = sample
    answer = await _internal(sample, client).post("/internal/echo", Echo(text="hello"), answer=Echo)
    assert answer == Echo(text="hello")


async def test_internal_client_maps_an_expected_refusal_to_the_callers_error(
    sample: Any,
) -> None:
    _, client = sample

    class Refused(Conflict):
        code = "refused_here"

    def refused(refusal: Refusal) -> Exception:
        return Refused(details={"status": refusal.status, "code": refusal.code, **refusal.details})

    with pytest.raises(Refused) as caught:
        await _internal(sample, client).post(
            "/internal/echo", Echo(text="refuse"), answer=Echo, refusals={409: refused}
        )
    assert caught.value.details == {"status": 409, "code": "refused", "why": "asked to"}


@pytest.mark.parametrize("text", ["refuse", "garbage"])
async def test_internal_client_is_503_when_the_answer_is_unexpected_or_unreadable(
    sample: Any, text: str
) -> None:
    _, client = sample
    with pytest.raises(UpstreamUnavailable):
        await _internal(sample, client).post("/internal/echo", Echo(text=text), answer=Echo)


async def test_internal_client_is_503_when_the_service_is_unreachable(sample: Any) -> None:
    app, _ = sample
    async with httpx2.AsyncClient() as http:
        client = InternalClient(
            http, app.state.settings, service="nobody", base_url="http://127.0.0.1:9"
        )
        with pytest.raises(UpstreamUnavailable):
            await client.get("/internal/echo", answer=Echo)


async def test_find_is_none_when_the_other_service_answers_404(sample: Any) -> None:
    _, client = sample
    assert await _internal(sample, client).find("/internal/nothing-here", answer=Echo) is None


async def test_named_job_runs_once_on_demand_when_asked(sample: Any) -> None:
    app, _ = sample
    runtime = app.state.runtime
    assert runtime.jobs == ["dead-letter-count", "sample-tick"]
    before = len(runtime.context.ticks)
    await runtime.run_job("sample-tick")
    assert len(runtime.context.ticks) >= before + 1
    with pytest.raises(KeyError):
        await runtime.run_job("no-such-job")
