"""`make up` / `make down` / `make status`: the system on this machine under supervisord."""

from __future__ import annotations

import importlib.util
import logging
import subprocess

import httpx2

from devstack import supervisor
from devstack.config import StackConfig
from devstack.database import apply_init_sql
from devstack.gateway import write_config
from devstack.keys import ensure_keys
from devstack.ports import wait_until_closed
from devstack.processes import tail
from devstack.readiness import NotReadyError, probe, wait_ready
from devstack.seed import seed_demo
from devstack.services import BY_NAME, REPO_ROOT, VENV_BIN

log = logging.getLogger("devstack")


def say(message: str = "") -> None:
    print(message, flush=True)  # noqa: T201 - a CLI talks to its user


def print_settings(cfg: StackConfig) -> None:
    env = cfg.env
    say("devstack settings (override in .env or the environment, which wins over .env):")
    rows = {
        "ENVIRONMENT": cfg.environment,
        "GATEWAY_PORT": str(cfg.gateway_port),
        "ADMIN_EMAIL": cfg.admin_email,
        "ADMIN_PASSWORD": cfg.admin_password,
        "HOLD_TTL_SECONDS": env["HOLD_TTL_SECONDS"],
        "PAYMENT_WINDOW_SECONDS": env["PAYMENT_WINDOW_SECONDS"],
        "ADMISSION_TOKEN_SECONDS": env["ADMISSION_TOKEN_SECONDS"],
        "WAITLIST_OFFER_SECONDS": env["WAITLIST_OFFER_SECONDS"],
        "WEBHOOK_ALLOW_PRIVATE": env["WEBHOOK_ALLOW_PRIVATE"],
        "RATE_LIMIT_RPS": str(cfg.rate_limit_rps),
        "RATE_LIMIT_BURST": str(cfg.rate_limit_burst),
        "AUTH_RATE_LIMIT_RPM": str(cfg.auth_rate_limit_rpm),
        "AUTH_REQUIRE_VERIFIED_EMAIL": env["AUTH_REQUIRE_VERIFIED_EMAIL"],
        "DEMO_DATA": env["DEMO_DATA"],
        "CORS_ORIGINS": cfg.cors_origins,
    }
    for key, value in rows.items():
        say(f"  {key:<28} {value}")


def importable(package: str) -> bool:
    """True for an installed regular package (the repo root's `shared/` dir is not one)."""
    spec = importlib.util.find_spec(package)
    return spec is not None and spec.origin is not None


def install_packages(cfg: StackConfig) -> None:
    """Editable-install shared and any service whose package is not importable."""
    targets = []
    if not importable("shared") and (REPO_ROOT / "shared" / "pyproject.toml").exists():
        targets.append("./shared")
    for svc in cfg.services:
        service = BY_NAME[svc]
        if cfg.apps[svc] != service.app or importable(service.package):
            continue
        if not (service.source_dir / "pyproject.toml").exists():
            raise SystemExit(f"devstack: {service.source_dir}/pyproject.toml is missing")
        targets.append(f"./services/{svc}")
    if not targets:
        return
    say(f"installing {', '.join(targets)} (editable)")
    command = [
        str(VENV_BIN / "uv"),
        "pip",
        "install",
        "--quiet",
        "--python",
        str(VENV_BIN / "python"),
    ]
    command += ["--no-deps"] + [arg for t in targets for arg in ("-e", t)]
    subprocess.run(command, check=True, cwd=REPO_ROOT)


def up(cfg: StackConfig | None = None) -> int:
    """Start (or complete) the local system and wait until it answers."""
    cfg = cfg or StackConfig.for_local()
    print_settings(cfg)
    created = ensure_keys(cfg.keys_dir or REPO_ROOT / "var" / "keys")
    if created:
        say(f"generated keys: {', '.join(p.name for p in created)}")
    apply_init_sql(cfg.admin_database_url)
    install_packages(cfg)
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    cfg.tickets_dir.mkdir(parents=True, exist_ok=True)
    write_config(cfg.gateway_settings())
    supervisor.write_conf(cfg)
    if supervisor.is_running():
        output = supervisor.apply_and_start()
        if output:
            say(output)
    else:
        supervisor.start_daemon()
    checks = {svc: f"{url}/health/ready" for svc, url in cfg.service_urls.items()}
    checks[supervisor.GATEWAY_PROGRAM] = f"{cfg.gateway_url}/health"
    say("waiting for the services and the gateway to answer ready ...")
    try:
        wait_ready(checks, timeout=cfg.ready_timeout)
    except NotReadyError as exc:
        say(f"devstack: {exc}")
        say(f"--- last lines of var/log/{exc.name}.log ---")
        say(tail(cfg.logs_dir / f"{exc.name}.log", 60))
        return 1
    if cfg.env["DEMO_DATA"].lower() in {"1", "true", "yes"} and not seed_demo(
        cfg.gateway_url, admin_email=cfg.admin_email, admin_password=cfg.admin_password
    ):
        say("devstack: warning: demo data was not seeded (see the warning above)")
    print_urls(cfg)
    return 0


def print_urls(cfg: StackConfig) -> None:
    gateway = cfg.gateway_url
    say("")
    say(f"gateway   {gateway}")
    for svc, url in cfg.service_urls.items():
        prefix = "/api/auth" if svc == "auth" else f"/api/{svc}s"
        say(f"{svc:<13} {url}   docs: {gateway}{prefix}/docs")
    say(f"admin     {cfg.admin_email} / {cfg.admin_password}")
    say("logs      make logs (var/log/*.log)   stop: make down")


def down(cfg: StackConfig | None = None) -> int:
    """Stop everything `up` started."""
    cfg = cfg or StackConfig.for_local()
    if supervisor.is_running():
        say(supervisor.shutdown() or "supervisord shut down")
    else:
        say("devstack is not running")
    ports = [*cfg.service_ports.values(), cfg.gateway_port]
    busy = wait_until_closed(ports, timeout=30)
    if busy:
        say(f"devstack: ports still in use: {busy}")
        return 1
    return 0


def status(cfg: StackConfig | None = None) -> int:
    """supervisorctl status plus a readiness probe of each part."""
    cfg = cfg or StackConfig.for_local()
    if supervisor.is_running():
        say(supervisor.ctl("status").stdout.rstrip())
    else:
        say("supervisord is not running (make up)")
    checks = {svc: f"{url}/health/ready" for svc, url in cfg.service_urls.items()}
    checks["gateway"] = f"{cfg.gateway_url}/health"
    healthy = True
    with httpx2.Client(timeout=2.0, trust_env=False) as client:
        for name, url in checks.items():
            reason = probe(client, url)
            healthy &= reason is None
            say(f"  {name:<13} {'ready' if reason is None else reason}")
    return 0 if healthy else 3


def logs() -> int:
    """Follow every log (never returns unless interrupted)."""
    cfg = StackConfig.for_local()
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in cfg.logs_dir.glob("*.log"))
    if not files:
        say("no logs yet (make up)")
        return 1
    try:
        return subprocess.call(["tail", "-n", "20", "-F", *files])
    except KeyboardInterrupt:
        return 0
