"""devstack: keys, the supervisor config and a whole run_stack with stand-in services."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import aio_pika
import asyncpg
import httpx2
import pytest
import redis

from devstack import __main__ as cli
from devstack import config
from devstack.blocking import run_blocking
from devstack.config import StackConfig, load_env_file
from devstack.database import plain_url
from devstack.gateway import GATEWAY_SOURCE_ADDRESS
from devstack.keys import KEY_FILES, ensure_keys
from devstack.services import REPO_ROOT, SERVICE_NAMES
from devstack.stack import run_stack
from devstack.supervisor import render_conf

ECHO_DIR = REPO_ROOT / "tests" / "gateway"


def test_keys_are_private_and_kept_when_regenerated(tmp_path: Path) -> None:
    created = ensure_keys(tmp_path / "keys")
    assert sorted(p.name for p in created) == sorted(KEY_FILES)
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    before = {p: p.read_bytes() for p in created}
    assert ensure_keys(tmp_path / "keys") == []
    assert {p: p.read_bytes() for p in created} == before


def test_supervisor_conf_runs_five_services_and_nginx() -> None:
    conf = render_conf(StackConfig.for_local({"GATEWAY_PORT": "8181"}))
    for name in (*SERVICE_NAMES, "gateway"):
        assert f"[program:{name}]" in conf
    assert "--forwarded-allow-ips 127.0.0.1" in conf
    assert 'daemon off;"' in conf
    assert "autorestart=true" in conf


def test_services_trust_forwarded_headers_only_from_the_gateway_when_supervised() -> None:
    conf = render_conf(StackConfig.for_local({}))
    commands = [
        shlex.split(line.removeprefix("command="))
        for line in conf.splitlines()
        if line.startswith("command=") and "uvicorn" in line
    ]
    assert len(commands) == len(SERVICE_NAMES)
    for command in commands:
        assert "--proxy-headers" in command
        assert command.count("--forwarded-allow-ips") == 1
        assert command[command.index("--forwarded-allow-ips") + 1] == GATEWAY_SOURCE_ADDRESS


DOT_ENV = """\
# a comment, then what `cp .env.example .env` and an edit give
GATEWAY_PORT=8282
HOLD_TTL_SECONDS=77
RATE_LIMIT_RPS=9
export AUTH_RATE_LIMIT_RPM=12
CORS_ORIGINS='^https://app\\.example\\.com$'
LOGIN_IP_WINDOW_SECONDS=60
"""
DOT_ENV_KEYS = (
    "GATEWAY_PORT",
    "HOLD_TTL_SECONDS",
    "RATE_LIMIT_RPS",
    "AUTH_RATE_LIMIT_RPM",
    "CORS_ORIGINS",
    "LOGIN_IP_WINDOW_SECONDS",
)


def test_make_up_reads_dot_env_when_present_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(DOT_ENV)
    for key in DOT_ENV_KEYS:  # restored (deleted) after the test, whatever .env sets
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("RATE_LIMIT_RPS", "11")
    monkeypatch.setattr(config, "ENV_FILE", env_file)
    seen: list[StackConfig] = []

    def up() -> int:  # what `make up` builds its whole system from
        seen.append(StackConfig.for_local())
        return 0

    monkeypatch.setitem(cli.COMMANDS, "up", up)
    assert cli.main(["up"]) == 0
    cfg = seen[0]
    assert cfg.gateway_port == 8282
    assert cfg.rate_limit_rps == 11  # the environment wins over .env
    assert cfg.auth_rate_limit_rpm == 12
    assert cfg.cors_origins == r"^https://app\.example\.com$"
    assert cfg.service_env("auth")["HOLD_TTL_SECONDS"] == "77"
    assert 'HOLD_TTL_SECONDS="77"' in render_conf(cfg)
    # Anything else in .env reaches the services as an exported variable would: supervisord
    # and its programs inherit this environment.
    assert os.environ["LOGIN_IP_WINDOW_SECONDS"] == "60"


def test_no_dot_env_changes_nothing_when_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_PORT", raising=False)
    assert load_env_file(tmp_path / ".env") == {}
    assert StackConfig.for_local().gateway_port == 8080


def test_test_config_isolates_every_shared_resource() -> None:
    cfg = StackConfig.for_tests("tcfg1", extra_env={"HOLD_TTL_SECONDS": "5"})
    try:
        env = cfg.service_env("booking")
        assert env["DATABASE_URL"].endswith("/tcfg1_booking")
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://booking:booking@")
        assert env["MESSAGING_NAMESPACE"] == "tcfg1"
        assert env["REDIS_PREFIX"] == "tcfg1:"
        assert env["ENVIRONMENT"] == "test"
        assert env["HOLD_TTL_SECONDS"] == "5"
        assert env["AUTH_URL"] == cfg.service_urls["auth"]
        assert env["JWKS_URL"] == f"{cfg.service_urls['auth']}/.well-known/jwks.json"
        assert len({*cfg.service_ports.values(), cfg.gateway_port}) == 6
    finally:
        cfg.work_dir.rmdir()


def database_names(cfg: StackConfig) -> set[str]:
    async def fetch() -> set[str]:
        conn = await asyncpg.connect(plain_url(cfg.admin_database_url))
        try:
            rows = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{cfg.name}_%"
            )
            return {r["datname"] for r in rows}
        finally:
            await conn.close()

    return run_blocking(fetch)


def exchange_exists(cfg: StackConfig, name: str, *, declare: bool = False) -> bool:
    async def check() -> bool:
        connection = await aio_pika.connect(cfg.amqp_url)
        async with connection:
            channel = await connection.channel()
            if declare:
                await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
                return True
            try:
                await channel.declare_exchange(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return True

    return run_blocking(check)


def test_run_stack_starts_everything_and_cleans_up() -> None:
    apps = dict.fromkeys(SERVICE_NAMES, "echo_upstream:create_app")
    cfg = StackConfig.for_tests(apps=apps, app_dir=ECHO_DIR, ready_timeout=30)
    exchange = f"{cfg.name}.ticketing"
    with run_stack(cfg) as stack:
        assert database_names(cfg) == {f"{cfg.name}_{svc}" for svc in SERVICE_NAMES}
        response = httpx2.get(f"{stack.gateway_url}/api/v1/bookings/x", trust_env=False)
        assert response.json()["path"] == "/api/bookings/x"
        for url in stack.service_urls.values():
            assert httpx2.get(f"{url}/health/ready", trust_env=False).status_code == 200
        stack.stop("payment", kill=True)
        dead = httpx2.get(f"{stack.gateway_url}/api/payments", trust_env=False)
        assert dead.status_code == 502
        stack.start("payment")
        assert httpx2.get(f"{stack.gateway_url}/api/payments", trust_env=False).status_code == 200
        assert exchange_exists(cfg, exchange, declare=True)
        client = redis.Redis.from_url(cfg.redis_url)
        client.set(f"{cfg.redis_prefix}probe", "1")
        client.set(f"not-{cfg.name}:probe", "1")
        assert stack.log_path("gateway").exists()
    assert database_names(cfg) == set()
    assert not exchange_exists(cfg, exchange)
    assert client.exists(f"{cfg.redis_prefix}probe") == 0
    assert client.exists(f"not-{cfg.name}:probe") == 1
    client.delete(f"not-{cfg.name}:probe")
    client.close()
    assert not cfg.work_dir.exists()


def test_services_believe_only_the_gateway_when_x_forwarded_for_is_sent() -> None:
    apps = dict.fromkeys(SERVICE_NAMES, "echo_upstream:create_app")
    cfg = StackConfig.for_tests(apps=apps, app_dir=ECHO_DIR, services=("event",), ready_timeout=30)
    spoof = {"X-Forwarded-For": "198.51.100.7"}
    with run_stack(cfg) as stack:
        # Through the gateway, even from the address the services trust: the real one.
        transport = httpx2.HTTPTransport(local_address=GATEWAY_SOURCE_ADDRESS)
        with httpx2.Client(transport=transport, trust_env=False) as local:
            echoed = local.get(f"{stack.gateway_url}/api/events", headers=spoof).json()
        assert echoed["client"] == GATEWAY_SOURCE_ADDRESS
        # Straight to a service from any other address: the header is not believed.
        transport = httpx2.HTTPTransport(local_address="127.0.0.77")
        with httpx2.Client(transport=transport, trust_env=False) as other:
            echoed = other.get(f"{stack.service_urls['event']}/x", headers=spoof).json()
        assert echoed["client"] == "127.0.0.77"


def test_bench_cpu_per_booking_leaves_the_load_generator_out_of_the_total() -> None:
    from devstack.bench.cpu import LOAD, in_display_order, per_unit_ms

    k6 = LOAD
    table = per_unit_ms({"booking": 1.0, "postgresql": 0.5, k6: 2.0}, 100)
    assert table == {"booking": 10.0, "postgresql": 5.0, k6: 20.0, "total": 15.0}
    shown = in_display_order({**table, "gateway": 1.0, "auth": 2.0}, ["auth", "booking"])
    assert list(shown) == ["auth", "booking", "gateway", "postgresql", "total", k6]
    assert per_unit_ms({"booking": 1.0}, 0) == {}
