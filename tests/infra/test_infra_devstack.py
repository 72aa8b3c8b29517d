"""devstack: keys, the supervisor config and a whole run_stack with stand-in services."""

from __future__ import annotations

import stat
from pathlib import Path

import aio_pika
import asyncpg
import httpx2
import redis

from devstack.blocking import run_blocking
from devstack.config import StackConfig
from devstack.database import plain_url
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
