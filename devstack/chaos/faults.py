"""The faults ``make chaos`` injects, one at a time, each returned to normal before the next:
the runner then times how long a new purchase takes to reach ``confirmed`` again.

Loopback and this stack only, but for the two servers every stack shares on this machine:
RabbitMQ's app is stopped and started (the node stays up) and PostgreSQL's cluster restarted —
their other clients reconnect as these services do (the services ping a connection that sat
idle; the broker connections are robust)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import asyncpg

from devstack.bench.checks import service_database_url
from devstack.cleanup import delete_redis_keys
from devstack.stack import RunningStack
from shared.faults import CRASHED
from shared.messaging import Names

SERVICES = ("auth", "event", "booking", "payment", "notification")


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[RunningStack], str]  # does it, puts things back; a note for the table


def kill(service: str) -> Fault:
    def run(stack: RunningStack) -> str:
        stack.stop(service, kill=True)
        stack.start(service)
        return "kill -9, started again"

    return Fault(f"kill -9 {service}", run)


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def broker_restart(seconds: float) -> Fault:
    def run(_stack: RunningStack) -> str:
        _run("rabbitmqctl", "stop_app")
        time.sleep(seconds)
        _run("rabbitmqctl", "start_app")
        _run("rabbitmqctl", "await_startup")
        return f"rabbitmqctl stop_app, {seconds:.0f} s, start_app"

    return Fault("RabbitMQ stopped and started", run)


def postgres_restart() -> Fault:
    def run(_stack: RunningStack) -> str:
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
        _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast")
        return f"pg_ctlcluster {version} main restart -m fast"

    return Fault("PostgreSQL restarted", run)


def redis_flush() -> Fault:
    def run(stack: RunningStack) -> str:
        cfg = stack.config
        return f"{delete_redis_keys(cfg.redis_url, cfg.redis_prefix)} keys of the stack deleted"

    return Fault("Redis flushed", run)


def service_down(service: str, seconds: float) -> Fault:
    def run(stack: RunningStack) -> str:
        stack.stop(service)
        time.sleep(seconds)
        stack.start(service)
        return f"stopped {seconds:.0f} s"

    return Fault(f"{service} down {seconds:.0f} s", run)


def consumer_crash(service: str, fault_dir: Path) -> Fault:
    """The service's consumer dies between committing a batch and acking it (shared.faults)."""

    def run(stack: RunningStack) -> str:
        marker = fault_dir / f"{service}.crash-after-commit"
        marker.touch()
        process = stack.processes[service]
        try:
            code = process.wait(timeout=60)  # the load brings it a message soon
        except subprocess.TimeoutExpired:
            marker.unlink(missing_ok=True)
            raise RuntimeError(f"no message reached {service} in 60 s") from None
        if code != CRASHED:
            raise RuntimeError(f"{service} exited {code}, not at the failure point")
        stack.start(service)
        return f"exit {code} after a commit, before its ack; started again"

    return Fault(f"{service} consumer crash between commit and ack", run)


def duplicates(count: int) -> Fault:
    """Messages already delivered, published again with the same envelope ids, newest first."""

    def run(stack: RunningStack) -> str:
        sent = asyncio.run(_republish(stack, count))
        return f"{sent} envelopes of booking and payment published again, in reverse order"

    return Fault("duplicate and out-of-order messages", run)


async def _republish(stack: RunningStack, count: int) -> int:
    cfg = stack.config
    envelopes: list[tuple[str, bytes]] = []
    for service in ("booking", "payment"):
        db = await asyncpg.connect(service_database_url(cfg, service))
        try:
            rows = await db.fetch(
                "SELECT routing_key, payload FROM outbox_message WHERE published_at IS NOT NULL "
                "ORDER BY created_at DESC LIMIT $1",
                count,
            )
        finally:
            await db.close()
        envelopes += [(r["routing_key"], str(r["payload"]).encode()) for r in rows]
    connection = await aio_pika.connect(cfg.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(Names(cfg.messaging_namespace).exchange)
        for key, body in envelopes:  # newest first: the opposite of how they came
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                       content_type="application/json")  # fmt: skip
            await exchange.publish(message, routing_key=key)
    return len(envelopes)


def every_fault(fault_dir: Path, *, short: bool) -> list[Fault]:
    """One of each kind; ``short`` (make test): briefer outages."""
    down = 5.0 if short else 30.0
    return [
        *(kill(service) for service in SERVICES),
        broker_restart(2.0 if short else 10.0),
        postgres_restart(),
        redis_flush(),
        service_down("payment", down),
        consumer_crash("booking", fault_dir),
        duplicates(20 if short else 200),
    ]
