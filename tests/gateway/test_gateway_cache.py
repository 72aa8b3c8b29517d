"""The micro-cache of anonymous catalogue reads (nginx/README.md "Micro-cache"), through a real
nginx in front of an upstream that counts the requests reaching it (cache_upstream.py)."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from devstack.ports import free_port
from devstack.processes import spawn, terminate
from devstack.readiness import wait_ready
from devstack.stack import RunningGateway, run_gateway
from tests.gateway.conftest import HERE

EVENT = "0b7f3c1e-5a4e-4b7d-9a51-3f0c2f3f6f11"
TOKEN = {"Authorization": "Bearer some.access.token"}


@pytest.fixture(scope="module")
def counting_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """A gateway whose every upstream is the counting one."""
    port = free_port()
    log = tmp_path_factory.mktemp("cache") / "upstream.log"
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "cache_upstream:create_app"]
    command += ["--factory", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    process = spawn(command, env={}, log_path=log, cwd=HERE)
    try:
        wait_ready({"cache-upstream": f"http://127.0.0.1:{port}/health"}, timeout=20)
        names = ("auth", "event", "booking", "payment", "notification")
        with run_gateway(dict.fromkeys(names, port)) as gateway:
            yield gateway
    finally:
        terminate(process)


@pytest.fixture
def http(counting_gateway: RunningGateway) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=counting_gateway.url, timeout=10, trust_env=False) as client:
        yield client


def fresh(path: str, **params: str) -> str:
    """``path`` with a query no other test uses (the cache outlives a test)."""
    query = "&".join(f"{k}={v}" for k, v in {"t": uuid.uuid4().hex, **params}.items())
    return f"{path}?{query}"


def hits(response: httpx2.Response) -> int:
    assert response.status_code == 200, response.text
    count: int = response.json()["hits"]
    return count


@pytest.mark.parametrize("path", ["/api/events", "/api/events/", f"/api/events/{EVENT}"])
def test_anonymous_read_is_answered_from_the_cache_when_repeated(
    http: httpx2.Client, path: str
) -> None:
    url = fresh(path)
    first, second = http.get(url), http.get(url)
    assert (hits(first), first.headers["x-cache-status"]) == (1, "MISS")
    assert (hits(second), second.headers["x-cache-status"]) == (1, "HIT")
    assert second.content == first.content


def test_head_is_answered_from_the_cache_when_a_get_filled_it(http: httpx2.Client) -> None:
    url = fresh("/api/events")
    assert hits(http.get(url)) == 1
    head = http.head(url)
    assert (head.status_code, head.headers["x-cache-status"]) == (200, "HIT")


def test_query_string_is_part_of_the_key_when_pages_differ(http: httpx2.Client) -> None:
    url = fresh("/api/events")
    assert hits(http.get(url + "&page=1")) == 1
    assert hits(http.get(url + "&page=2")) == 1
    assert http.get(url + "&page=1").headers["x-cache-status"] == "HIT"


def test_v1_alias_shares_the_entry_when_the_path_is_the_same(http: httpx2.Client) -> None:
    url = fresh(f"/api/events/{EVENT}")
    assert hits(http.get(url)) == 1
    alias = http.get(url.replace("/api/", "/api/v1/", 1))
    assert (hits(alias), alias.headers["x-cache-status"]) == (1, "HIT")
    assert alias.json()["path"] == f"/api/events/{EVENT}"


def test_v1_alias_fills_the_cache_when_it_comes_first(http: httpx2.Client) -> None:
    url = fresh("/api/events")
    assert hits(http.get(url.replace("/api/", "/api/v1/", 1))) == 1
    assert http.get(url).headers["x-cache-status"] == "HIT"


@pytest.mark.parametrize("path", ["/api/events", f"/api/events/{EVENT}"])
def test_request_with_authorization_is_never_answered_from_the_cache_when_an_entry_exists(
    http: httpx2.Client, path: str
) -> None:
    url = fresh(path)
    assert hits(http.get(url)) == 1  # an anonymous answer is cached
    signed_in = http.get(url, headers=TOKEN)
    assert (hits(signed_in), signed_in.json()["authorized"]) == (2, True)
    assert signed_in.headers["x-cache-status"] == "BYPASS"


@pytest.mark.parametrize("path", ["/api/events", f"/api/events/{EVENT}"])
def test_answer_to_authorization_is_never_stored_when_the_upstream_allows_it(
    http: httpx2.Client, path: str
) -> None:
    url = fresh(path)
    assert hits(http.get(url, headers=TOKEN)) == 1
    assert hits(http.get(url, headers=TOKEN)) == 2
    anonymous = http.get(url)
    assert (hits(anonymous), anonymous.json()["authorized"]) == (3, False)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/events/{EVENT}/seats",
        f"/api/events/{EVENT}/holds/some-hold",
        "/api/events/mine",
        f"/api/events/{EVENT}/queue/me",
        f"/api/events/{EVENT}/live",
        f"/api/events/{EVENT}/waitlist/me",
        f"/api/v1/events/{EVENT}/seats",
        "/api/bookings/some-booking",
        "/api/auth/me",
        "/api/payments",
    ],
)
def test_other_paths_are_never_cached_when_the_upstream_allows_it(
    http: httpx2.Client, path: str
) -> None:
    url = fresh(path)
    first, second = http.get(url), http.get(url)
    assert (hits(first), hits(second)) == (1, 2)
    assert "x-cache-status" not in second.headers


def test_answer_without_x_accel_expires_is_never_stored_when_cache_control_allows_it(
    http: httpx2.Client,
) -> None:
    url = fresh("/api/events", ttl="none")
    assert (hits(http.get(url)), hits(http.get(url))) == (1, 2)


def test_writes_always_reach_the_service_when_sent_to_cached_paths(http: httpx2.Client) -> None:
    url = fresh(f"/api/events/{EVENT}")
    assert hits(http.get(url)) == 1
    for method in ("POST", "PATCH", "DELETE"):
        response = http.request(method, url, json={}, headers=TOKEN)
        assert response.status_code == 200
        assert "x-cache-status" not in response.headers


def test_answers_that_are_not_stored_never_wait_for_each_other_when_many_ask_at_once(
    counting_gateway: RunningGateway,
) -> None:
    """No cache lock: its waiters poll every 500 ms, which would queue uncached answers (a
    404, the bench's bare endpoint) behind each other."""
    url = fresh("/api/events", ttl="none", delay="0.3")

    def read(_: int) -> int:
        with httpx2.Client(base_url=counting_gateway.url, timeout=10, trust_env=False) as c:
            return hits(c.get(url))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = sorted(pool.map(read, range(8)))
    assert answers == list(range(1, 9))  # each reached the service
    # side by side (a lock would make them wait 0.5 s at least, then queue one by one)
    assert time.monotonic() - started < 0.7


def test_expired_entry_is_never_served_when_its_refresh_is_not_stored(
    http: httpx2.Client,
) -> None:
    """The event was deleted: its detail answers 404 (not marked). Once the cached 200's second
    is over, nobody gets that 200 again — also not while another request refreshes it."""
    url = fresh(f"/api/events/{EVENT}", ttl="second", gone="2")
    assert hits(http.get(url)) == 1
    time.sleep(1.05)  # the entry's second is over (it lived until the end of that second)

    def read(_: int) -> int:
        return http.get(url).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(read, range(12)))
    assert statuses == [404] * 12


def test_entry_is_replaced_within_about_a_second_when_the_service_marks_the_current_second(
    http: httpx2.Client,
) -> None:
    url = fresh(f"/api/events/{EVENT}", ttl="second")
    assert hits(http.get(url)) == 1
    read_at = time.monotonic()
    seen: list[tuple[float, int, str]] = []
    while time.monotonic() - read_at < 3:
        response = http.get(url)
        seen.append(
            (time.monotonic() - read_at, hits(response), response.headers["x-cache-status"])
        )
        if seen[-1][1] > 1:
            break
        time.sleep(0.02)
    fresh_at, count, _ = seen[-1]
    assert count == 2, seen
    # the first entry lived to the end of its second; the refresh is one upstream answer later
    assert fresh_at < 1.2, seen
    assert {status for _, _, status in seen} <= {"HIT", "EXPIRED"}


def test_gateway_headers_are_the_requests_own_when_answered_from_the_cache(
    http: httpx2.Client,
) -> None:
    url = fresh("/api/events")
    origin = "http://localhost:3000"
    http.get(url, headers={"X-Request-ID": "first-request"})
    cached = http.get(url, headers={"X-Request-ID": "second-request", "Origin": origin})
    assert cached.headers["x-cache-status"] == "HIT"
    assert cached.headers["x-request-id"] == "second-request"
    assert cached.headers["access-control-allow-origin"] == origin
    assert cached.headers["x-content-type-options"] == "nosniff"
    assert "x-accel-expires" not in cached.headers


def test_error_is_not_answered_from_the_cache_when_it_carries_no_mark(
    http: httpx2.Client,
) -> None:
    url = fresh(f"/api/events/{EVENT}", ttl="none", status="404")
    first, second = http.get(url), http.get(url)
    assert (first.status_code, second.status_code) == (404, 404)
    assert (first.json()["hits"], second.json()["hits"]) == (1, 2)
