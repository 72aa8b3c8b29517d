"""StackConfig: one description of a running system, local (`make up`) or per test."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from devstack.database import DEFAULT_ADMIN_DATABASE_URL, admin_database_url, host_port
from devstack.gateway import DEFAULT_CORS_ORIGINS, GatewaySettings
from devstack.ports import free_ports
from devstack.services import BY_NAME, REPO_ROOT, SERVICE_NAMES, SERVICES, VAR_DIR

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_ADMIN_EMAIL = "admin@ticketing.local"
DEFAULT_ADMIN_PASSWORD = "admin-dev-password"
UNSET = Path()  # a folder not given (dataclass fields cannot default from each other)
STACK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
# Read by `python -m devstack` (so `make up`) like docker compose reads it; see load_env_file.
ENV_FILE = REPO_ROOT / ".env"

# The database pool of each service of a test stack (the bench sets production's own).
TEST_POOL = {"DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "7"}

# Variables the services read that `make up` passes through when set in its environment.
PASSTHROUGH = (
    "LOG_LEVEL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "INTERNAL_TOKEN",
    "SMTP_HOST",
    "SMTP_PORT",
    "HOLD_TTL_SECONDS",
    "PAYMENT_WINDOW_SECONDS",
    "ADMISSION_TOKEN_SECONDS",
    "WAITLIST_OFFER_SECONDS",
    "WEBHOOK_ALLOW_PRIVATE",
    "AUTH_REQUIRE_VERIFIED_EMAIL",
    "DEMO_DATA",
    "REDIS_PREFIX",
    "MESSAGING_NAMESPACE",
    "JWKS_URL",
    "JWT_PREVIOUS_KEY_PATHS",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_IP",
)


def load_env_file(path: Path | None = None) -> dict[str, str]:
    """Export the repository's `.env` (if present) into os.environ; set variables win.

    The services and supervisord inherit os.environ, so a value from `.env` acts exactly like
    the same variable exported in the shell, only with lower precedence. Returns what it set.
    """
    source = path or ENV_FILE
    if not source.is_file():
        return {}
    values = {
        key: value
        for key, value in dotenv_values(source).items()
        if value is not None and key not in os.environ
    }
    os.environ.update(values)
    return values


@dataclass
class StackConfig:
    """Ports, URLs, directories and settings of one whole system (five services + gateway)."""

    name: str
    service_ports: dict[str, int]
    gateway_port: int
    work_dir: Path
    databases: dict[str, str] = field(default_factory=lambda: {s: s for s in SERVICE_NAMES})
    admin_database_url: str = field(default_factory=admin_database_url)
    redis_url: str = DEFAULT_REDIS_URL
    redis_prefix: str = ""
    amqp_url: str = DEFAULT_AMQP_URL
    messaging_namespace: str = ""
    environment: str = "dev"
    log_level: str = "INFO"
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    rate_limit_rps: int = 10
    rate_limit_burst: int = 20
    auth_rate_limit_rpm: int = 30
    auth_rate_limit_burst: int = 10
    cors_origins: str = DEFAULT_CORS_ORIGINS
    extra_env: dict[str, str] = field(default_factory=dict)
    service_extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    apps: dict[str, str] = field(default_factory=lambda: {s.name: s.app for s in SERVICES})
    app_dir: Path | None = None
    services: tuple[str, ...] = SERVICE_NAMES
    # left out: a folder of that name inside work_dir
    keys_dir: Path = UNSET
    tickets_dir: Path = UNSET
    logs_dir: Path = UNSET
    nginx_dir: Path = UNSET
    owns_work_dir: bool = False
    create_databases: bool = True
    ready_timeout: float = 90.0

    def __post_init__(self) -> None:
        for name in ("keys", "tickets", "logs", "nginx"):
            if getattr(self, f"{name}_dir") == UNSET:
                setattr(self, f"{name}_dir", self.work_dir / name)

    @classmethod
    def for_tests(
        cls,
        name: str | None = None,
        *,
        extra_env: dict[str, str] | None = None,
        service_extra_env: dict[str, dict[str, str]] | None = None,
        rate_limit_rps: int = 1000,
        rate_limit_burst: int = 1000,
        auth_rate_limit_rpm: int = 60000,
        auth_rate_limit_burst: int = 1000,
        services: tuple[str, ...] = SERVICE_NAMES,
        apps: dict[str, str] | None = None,
        app_dir: Path | None = None,
        admin_database_url: str | None = None,
        redis_url: str | None = None,
        amqp_url: str | None = None,
        ready_timeout: float = 90.0,
    ) -> StackConfig:
        """An isolated stack: free ports, `<name>_<svc>` databases, namespaced broker/Redis.

        Rate limits default high so tests are not throttled; pass low ones to test limits.
        URLs default to ADMIN_DATABASE_URL / TEST_REDIS_URL / TEST_AMQP_URL, else localhost.
        """
        name = name or "t" + secrets.token_hex(3)
        if not STACK_NAME.match(name):
            raise ValueError(f"stack name must match {STACK_NAME.pattern}: {name!r}")
        ports = free_ports(len(SERVICE_NAMES) + 1)
        work_dir = Path(tempfile.mkdtemp(prefix=f"devstack-{name}-"))
        work_dir.chmod(0o755)
        return cls(
            name=name,
            service_ports=dict(zip(SERVICE_NAMES, ports[:-1], strict=True)),
            gateway_port=ports[-1],
            work_dir=work_dir,
            databases={svc: f"{name}_{svc}" for svc in SERVICE_NAMES},
            admin_database_url=admin_database_url
            or os.environ.get("ADMIN_DATABASE_URL")
            or DEFAULT_ADMIN_DATABASE_URL,
            redis_url=redis_url or os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL),
            redis_prefix=f"{name}:",
            amqp_url=amqp_url or os.environ.get("TEST_AMQP_URL", DEFAULT_AMQP_URL),
            messaging_namespace=name,
            environment="test",
            rate_limit_rps=rate_limit_rps,
            rate_limit_burst=rate_limit_burst,
            auth_rate_limit_rpm=auth_rate_limit_rpm,
            auth_rate_limit_burst=auth_rate_limit_burst,
            # small pools: test stacks share this machine's PostgreSQL (100 connections) with
            # each other and with the in-process services; the bench asks for production's
            extra_env=TEST_POOL | {"DEMO_DATA": "false"} | (extra_env or {}),
            service_extra_env=service_extra_env or {},
            apps={s.name: s.app for s in SERVICES} | (apps or {}),
            app_dir=app_dir,
            services=services,
            owns_work_dir=True,
            ready_timeout=ready_timeout,
        )

    @classmethod
    def for_local(cls, environ: dict[str, str] | None = None) -> StackConfig:
        """The `make up` system: fixed ports 8001-8005, GATEWAY_PORT, everything under var/."""
        env = dict(os.environ if environ is None else environ)
        passthrough = {k: env[k] for k in PASSTHROUGH if env.get(k)}
        return cls(
            name="local",
            service_ports={s.name: s.port for s in SERVICES},
            gateway_port=int(env.get("GATEWAY_PORT", "8080")),
            work_dir=VAR_DIR,
            logs_dir=VAR_DIR / "log",
            admin_database_url=env.get("ADMIN_DATABASE_URL", DEFAULT_ADMIN_DATABASE_URL),
            redis_url=env.get("REDIS_URL", DEFAULT_REDIS_URL),
            redis_prefix=env.get("REDIS_PREFIX", ""),
            amqp_url=env.get("AMQP_URL", DEFAULT_AMQP_URL),
            messaging_namespace=env.get("MESSAGING_NAMESPACE", ""),
            environment=env.get("ENVIRONMENT", "dev"),
            log_level=env.get("LOG_LEVEL", "INFO"),
            admin_email=env.get("ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL),
            admin_password=env.get("ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
            rate_limit_rps=int(env.get("RATE_LIMIT_RPS", "10")),
            rate_limit_burst=int(env.get("RATE_LIMIT_BURST", "20")),
            auth_rate_limit_rpm=int(env.get("AUTH_RATE_LIMIT_RPM", "30")),
            auth_rate_limit_burst=int(env.get("AUTH_RATE_LIMIT_BURST", "10")),
            cors_origins=env.get("CORS_ORIGINS", DEFAULT_CORS_ORIGINS),
            extra_env=passthrough,
            create_databases=False,
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def service_urls(self) -> dict[str, str]:
        return {svc: f"http://127.0.0.1:{port}" for svc, port in self.service_ports.items()}

    def database_url(self, service: str) -> str:
        """The service's own database, as its own role (dev password = role name)."""
        host, port = host_port(self.admin_database_url)
        return f"postgresql+asyncpg://{service}:{service}@{host}:{port}/{self.databases[service]}"

    @property
    def env(self) -> dict[str, str]:
        """The environment common to every service process."""
        urls = self.service_urls
        env = {
            "ENVIRONMENT": self.environment,
            "LOG_LEVEL": self.log_level,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.redis_prefix,
            "AMQP_URL": self.amqp_url,
            "MESSAGING_NAMESPACE": self.messaging_namespace,
            "JWKS_URL": f"{urls['auth']}/.well-known/jwks.json",
            "JWT_PRIVATE_KEY_PATH": str(self.keys_dir / "jwt_ed25519.pem"),
            "TICKET_PRIVATE_KEY_PATH": str(self.keys_dir / "ticket_ed25519.pem"),
            "TICKET_STORAGE_DIR": str(self.tickets_dir),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": "1025",
            "ADMIN_EMAIL": self.admin_email,
            "ADMIN_PASSWORD": self.admin_password,
            "HOLD_TTL_SECONDS": "600",
            "PAYMENT_WINDOW_SECONDS": "900",
            "ADMISSION_TOKEN_SECONDS": "600",
            "WAITLIST_OFFER_SECONDS": "900",
            # webhooks to loopback and private addresses over http: development only (a
            # service refuses to start with it under ENVIRONMENT=production)
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "AUTH_REQUIRE_VERIFIED_EMAIL": "false",
            "DEMO_DATA": "true",
            "PYTHONUNBUFFERED": "1",
        }
        env |= {BY_NAME[svc].url_variable: url for svc, url in urls.items()}
        return env | self.extra_env

    def service_env(self, service: str) -> dict[str, str]:
        """Everything one service process gets (on top of PATH/HOME/LANG)."""
        env = self.env | {"DATABASE_URL": self.database_url(service)}
        return env | self.service_extra_env.get(service, {})

    def gateway_settings(
        self, *, error_log: str = "stderr", access_log: str = "/dev/stdout"
    ) -> GatewaySettings:
        """The gateway in front of this stack's services."""
        return GatewaySettings(
            port=self.gateway_port,
            upstreams={svc: f"127.0.0.1:{port}" for svc, port in self.service_ports.items()},
            prefix_dir=self.nginx_dir,
            rate_limit_rps=self.rate_limit_rps,
            rate_limit_burst=self.rate_limit_burst,
            auth_rate_limit_rpm=self.auth_rate_limit_rpm,
            auth_rate_limit_burst=self.auth_rate_limit_burst,
            cors_origins=self.cors_origins,
            worker_processes="auto" if self.name == "local" else "1",
            error_log=error_log,
            access_log=access_log,
        )
