"""Start isolated copies of the whole system for tests (plain subprocesses, no supervisor).

    cfg = StackConfig.for_tests("t1a2b3", extra_env={"HOLD_TTL_SECONDS": "5"})
    with run_stack(cfg) as stack:
        httpx2.get(f"{stack.gateway_url}/api/events")

On exit: processes stopped, `<name>_<svc>` databases dropped, `<name>.*` queues and
exchanges deleted, `<name>:*` Redis keys unlinked, the temp work dir removed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import mkdtemp

from devstack.cleanup import delete_broker_objects, delete_redis_keys
from devstack.config import StackConfig
from devstack.database import apply_init_sql, create_databases, drop_databases
from devstack.gateway import (
    DEFAULT_CORS_ORIGINS,
    PROXY_HEADER_OPTIONS,
    GatewaySettings,
    nginx_command,
    write_config,
)
from devstack.keys import ensure_keys
from devstack.ports import free_port
from devstack.processes import spawn, tail, terminate
from devstack.readiness import NotReadyError, wait_ready
from devstack.services import REPO_ROOT, SERVICE_NAMES

__all__ = [
    "RunningGateway",
    "RunningStack",
    "StackConfig",
    "StackStartError",
    "run_gateway",
    "run_stack",
]

log = logging.getLogger(__name__)
GATEWAY = "gateway"


class StackStartError(RuntimeError):
    """A process did not become ready; the message ends with its log tail."""


@dataclass
class RunningStack:
    """A started stack: URLs, environment and control over each process."""

    config: StackConfig
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return self.config.gateway_url

    @property
    def service_urls(self) -> dict[str, str]:
        return {
            svc: url for svc, url in self.config.service_urls.items() if svc in self.config.services
        }

    @property
    def env(self) -> dict[str, str]:
        """The environment common to all services (each adds its DATABASE_URL)."""
        return self.config.env

    @property
    def logs_dir(self) -> Path:
        return self.config.logs_dir

    def log_path(self, name: str) -> Path:
        """`<logs_dir>/<service>.log` or `gateway.log`."""
        return self.logs_dir / f"{name}.log"

    def log_tail(self, name: str, lines: int = 40) -> str:
        return tail(self.log_path(name), lines)

    def is_running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def start(self, name: str, *, wait: bool = True) -> None:
        """Start one service (or "gateway") if it is not running; wait until ready."""
        if self.is_running(name):
            return
        if name == GATEWAY:
            settings = self.config.gateway_settings()
            write_config(settings)
            command = nginx_command(settings)
            self.processes[name] = spawn(
                command, env={}, log_path=self.log_path(name), cwd=REPO_ROOT
            )
        else:
            self.processes[name] = spawn(
                self._service_command(name),
                env=self.config.service_env(name),
                log_path=self.log_path(name),
                cwd=REPO_ROOT,
            )
        if wait:
            self.wait_ready([name])

    def stop(self, name: str, *, kill: bool = False) -> None:
        """SIGTERM (graceful) or SIGKILL (crash) one process."""
        process = self.processes.get(name)
        if process is not None:
            terminate(process, kill=kill)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def wait_ready(self, names: list[str] | None = None, timeout: float | None = None) -> None:
        """Wait for `/health/ready` on services and `/health` on the gateway."""
        names = names or [*self.config.services, GATEWAY]
        checks = {
            name: f"{self.gateway_url}/health"
            if name == GATEWAY
            else f"{self.config.service_urls[name]}/health/ready"
            for name in names
        }
        try:
            wait_ready(checks, timeout=timeout or self.config.ready_timeout, alive=self.is_running)
        except NotReadyError as exc:
            raise StackStartError(
                f"{exc}\n--- last lines of {self.log_path(exc.name)} ---\n{self.log_tail(exc.name)}"
            ) from exc

    def stop_all(self) -> None:
        for name in [GATEWAY, *reversed(self.config.services)]:
            self.stop(name)

    def _service_command(self, name: str) -> list[str]:
        command = [sys.executable, "-m", "uvicorn", self.config.apps[name], "--factory"]
        command += ["--host", "127.0.0.1", "--port", str(self.config.service_ports[name])]
        command += ["--no-access-log", *PROXY_HEADER_OPTIONS]
        if self.config.app_dir is not None:
            command += ["--app-dir", str(self.config.app_dir)]
        return command


@contextmanager
def run_stack(cfg: StackConfig) -> Iterator[RunningStack]:
    """Create databases and keys, start five services and nginx, yield, then clean up."""
    stack = RunningStack(cfg)
    created_databases = False
    try:
        ensure_keys(cfg.keys_dir)
        cfg.tickets_dir.mkdir(parents=True, exist_ok=True)
        cfg.logs_dir.mkdir(parents=True, exist_ok=True)
        if cfg.create_databases:
            apply_init_sql(cfg.admin_database_url)
            created_databases = True
            create_databases({cfg.databases[s]: s for s in cfg.services}, cfg.admin_database_url)
        for name in cfg.services:
            stack.start(name, wait=False)
        stack.start(GATEWAY, wait=False)
        stack.wait_ready()
        yield stack
    finally:
        stack.stop_all()
        _clean_up(cfg, drop=created_databases)


def _clean_up(cfg: StackConfig, *, drop: bool) -> None:
    """Best effort: a failing cleanup step is logged, never raised over a test failure."""
    steps: list[tuple[str, Callable[[], object]]] = []
    if drop:
        steps.append(
            (
                "databases",
                lambda: drop_databases(
                    [cfg.databases[s] for s in cfg.services], cfg.admin_database_url
                ),
            )
        )
    if cfg.messaging_namespace:
        steps.append(
            ("broker", lambda: delete_broker_objects(cfg.amqp_url, cfg.messaging_namespace))
        )
    if cfg.redis_prefix:
        steps.append(("redis", lambda: delete_redis_keys(cfg.redis_url, cfg.redis_prefix)))
    for what, step in steps:
        try:
            step()
        except Exception:
            log.warning("devstack: cleaning %s for stack %s failed", what, cfg.name, exc_info=True)
    if cfg.owns_work_dir and not os.environ.get("DEVSTACK_KEEP"):
        shutil.rmtree(cfg.work_dir, ignore_errors=True)


@dataclass
class RunningGateway:
    """A started nginx in front of given upstreams."""

    settings: GatewaySettings
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def logs_dir(self) -> Path:
        return self.log_path.parent

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def _gateway_defaults(
    target: StackConfig | Mapping[str, int | str],
) -> tuple[dict[str, str], tuple[int, int, int, int], str]:
    """Upstreams (every service: one missing gets a port nobody listens on, so it answers
    502), default rate limits and CORS origins: a stack's own, or generous ones."""
    if isinstance(target, StackConfig):
        upstreams = {svc: f"127.0.0.1:{p}" for svc, p in target.service_ports.items()}
        defaults = (
            target.rate_limit_rps,
            target.rate_limit_burst,
            target.auth_rate_limit_rpm,
            target.auth_rate_limit_burst,
        )
        cors_default = target.cors_origins
    else:
        upstreams = {
            svc: f"127.0.0.1:{a}" if isinstance(a, int) else a for svc, a in target.items()
        }
        defaults = (1000, 1000, 60000, 1000)
        cors_default = DEFAULT_CORS_ORIGINS
    for svc in SERVICE_NAMES:
        upstreams.setdefault(svc, f"127.0.0.1:{free_port()}")
    return upstreams, defaults, cors_default


@contextmanager
def run_gateway(
    target: StackConfig | Mapping[str, int | str],
    *,
    port: int | None = None,
    rate_limit_rps: int | None = None,
    rate_limit_burst: int | None = None,
    auth_rate_limit_rpm: int | None = None,
    auth_rate_limit_burst: int | None = None,
    cors_origins: str | None = None,
    work_dir: Path | None = None,
    ready_timeout: float = 15.0,
) -> Iterator[RunningGateway]:
    """Start only nginx: in front of a StackConfig's ports or of `{service: port | "host:port"}`.

    Rate limits default to the config's (StackConfig) or to 1000 r/s (a mapping).
    """
    own_dir = work_dir is None
    base = Path(mkdtemp(prefix="devstack-gateway-")) if work_dir is None else work_dir
    base.chmod(0o755)
    upstreams, defaults, cors_default = _gateway_defaults(target)
    if isinstance(target, StackConfig):
        port = port or target.gateway_port
    settings = GatewaySettings(
        port=port or free_port(),
        upstreams=upstreams,
        prefix_dir=base / "nginx",
        rate_limit_rps=rate_limit_rps or defaults[0],
        rate_limit_burst=rate_limit_burst if rate_limit_burst is not None else defaults[1],
        auth_rate_limit_rpm=auth_rate_limit_rpm or defaults[2],
        auth_rate_limit_burst=auth_rate_limit_burst
        if auth_rate_limit_burst is not None
        else defaults[3],
        cors_origins=cors_origins or cors_default,
        worker_processes="1",
    )
    write_config(settings)
    log_path = base / "logs" / "gateway.log"
    process = spawn(nginx_command(settings), env={}, log_path=log_path, cwd=base)
    gateway = RunningGateway(settings, process, log_path)
    try:
        try:
            wait_ready(
                {GATEWAY: f"{settings.url}/health"},
                timeout=ready_timeout,
                alive=lambda _: process.poll() is None,
            )
        except NotReadyError as exc:
            raise StackStartError(f"{exc}\n--- {log_path} ---\n{gateway.log_tail()}") from exc
        yield gateway
    finally:
        terminate(process)
        if own_dir and not os.environ.get("DEVSTACK_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
