"""The hold scripts' shared Redis connection (``holds/wire.py``) against the real server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from event_service.holds.scripts import Script
from event_service.holds.wire import Address, ReplyError, Wire, encode
from event_service.settings import Settings


@pytest.fixture
async def wire(settings: Settings) -> AsyncIterator[Wire]:
    wire = Wire(settings.REDIS_URL, timeout=0.5)
    yield wire
    await wire.aclose()


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


def _key(settings: Settings) -> str:
    return f"{settings.REDIS_PREFIX}wire-test:{uuid.uuid4()}"


async def test_many_callers_at_once_each_get_their_own_answer(wire: Wire) -> None:
    answers = await asyncio.gather(*(wire.call("ECHO", f"caller {n}") for n in range(2000)))
    assert answers == [f"caller {n}" for n in range(2000)]
    assert await wire.call("INCRBY", "wire-test-unused", 0) == 0


async def test_a_caller_that_stops_waiting_leaves_the_others_their_answers(
    wire: Wire, settings: Settings
) -> None:
    # BLPOP holds the connection for 0.3 s: the ECHO behind it waits its turn
    blocked = asyncio.ensure_future(wire.call("BLPOP", _key(settings), "0.3"))
    behind = asyncio.ensure_future(wire.call("ECHO", "behind"))
    await asyncio.sleep(0.05)
    blocked.cancel()
    assert await behind == "behind"
    assert await wire.call("ECHO", "next") == "next"


async def test_no_answer_within_the_timeout_fails_the_waiting_callers_and_the_next_call_reconnects(
    wire: Wire, settings: Settings
) -> None:
    blocked = wire.call("BLPOP", _key(settings), "2")
    behind = wire.call("ECHO", "behind")
    results = await asyncio.gather(blocked, behind, return_exceptions=True)
    assert [type(r) for r in results] == [TimeoutError, TimeoutError]
    assert await wire.call("ECHO", "again") == "again"


async def test_a_connection_cut_fails_its_callers_with_connection_error_then_reconnects(
    wire: Wire, redis: Redis, settings: Settings
) -> None:
    first = await wire.call("CLIENT", "ID")
    waiting = asyncio.ensure_future(wire.call("BLPOP", _key(settings), "0.4"))
    await asyncio.sleep(0.05)
    assert await redis.client_kill_filter(_id=first) == 1
    with pytest.raises(ConnectionError):
        await waiting
    second = await wire.call("CLIENT", "ID")
    assert second != first


async def test_error_replies_are_reply_errors_and_the_connection_goes_on(wire: Wire) -> None:
    with pytest.raises(ReplyError, match="unknown command"):
        await wire.call("NO-SUCH-COMMAND")
    with pytest.raises(ReplyError, match="WRONGTYPE"):
        await wire.call(
            "EVAL",
            "redis.call('SET', KEYS[1], 'x'); return redis.call('LLEN', KEYS[1])",
            1,
            "wire-test-wrongtype",
        )
    await wire.call("DEL", "wire-test-wrongtype")
    assert await wire.call("ECHO", "still here") == "still here"


async def test_a_script_redis_does_not_know_is_loaded_by_running_it_with_eval(
    wire: Wire, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = uuid.uuid4().hex  # a source no one loaded before
    monkeypatch.setattr(
        "event_service.holds.scripts.source",
        lambda _: f"-- {marker}\nreturn {{1, ARGV[1], KEYS[1]}}",
    )
    script = Script.of("anything", wire)
    assert await redis.script_exists(script.sha) == [False]
    assert await script(keys=["k"], args=["a"]) == [1, "a", "k"]
    assert await redis.script_exists(script.sha) == [True]
    assert await script(keys=["k"], args=[b"b"]) == [1, "b", "k"]


async def test_a_redis_that_is_not_there_is_connection_error() -> None:
    wire = Wire("redis://127.0.0.1:1/0", timeout=0.5)
    try:
        with pytest.raises(ConnectionError, match="cannot connect to Redis"):
            await wire.call("PING")
    finally:
        await wire.aclose()
    with pytest.raises(ConnectionError):
        await wire.call("PING")  # closed for good


async def test_the_database_and_the_password_of_the_url_are_used(
    settings: Settings, redis: Redis
) -> None:
    key = _key(settings)
    here = Address.from_url(settings.REDIS_URL)
    assert here.db != 3
    other = Wire(f"redis://{here.host}:{here.port}/3")
    try:
        await other.call("SET", key, "in db 3", "EX", 60)
        assert await redis.get(key) is None
        assert await other.call("GET", key) == "in db 3"
        await other.call("DEL", key)
    finally:
        await other.aclose()
    with_password = Wire(f"redis://user:secret@{here.host}:{here.port}/0")
    try:  # this Redis has no passwords: it refuses the AUTH the URL asks for
        with pytest.raises(ReplyError, match="AUTH|WRONGPASS|password"):
            await with_password.call("PING")
    finally:
        await with_password.aclose()


def test_urls_and_commands() -> None:
    assert Address.from_url("redis://h:7000/2") == Address("h", 7000, 2, None, None, False)
    assert Address.from_url("rediss://u:p%40ss@h") == Address("h", 6379, 0, "u", "p@ss", True)
    assert Address.from_url("redis://:pw@h/0").password == "pw"
    with pytest.raises(ValueError, match="unix"):
        Address.from_url("unix:///tmp/redis.sock")
    assert (
        encode(("SET", "k", b"v\r\n", 3))
        == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n$1\r\n3\r\n"
    )
