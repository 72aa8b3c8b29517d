"""`make up` runs the services and nginx under supervisord (from .venv), daemonized."""

from __future__ import annotations

import subprocess
from pathlib import Path

from devstack.config import StackConfig
from devstack.gateway import PROXY_HEADER_OPTIONS, nginx_command
from devstack.services import REPO_ROOT, VAR_DIR, VENV_BIN

RUN_DIR = VAR_DIR / "run"
CONF_PATH = RUN_DIR / "supervisord.conf"
SOCKET_PATH = RUN_DIR / "supervisor.sock"
PID_PATH = RUN_DIR / "supervisord.pid"
GATEWAY_PROGRAM = "gateway"


def _quote(value: str) -> str:
    """A value for supervisor's `environment=` (which also %-interpolates)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def _program(name: str, command: list[str], env: dict[str, str], log: Path, priority: int) -> str:
    environment = ",".join(f"{k}={_quote(v)}" for k, v in sorted(env.items()))
    quoted = " ".join(_quote(part) if " " in part or ";" in part else part for part in command)
    lines = [
        f"[program:{name}]",
        f"command={quoted.replace('%', '%%')}",
        f"directory={REPO_ROOT}",
        f"priority={priority}",
        "autostart=true",
        "autorestart=true",
        "startsecs=2",
        "startretries=10",
        "stopsignal=TERM",
        "stopwaitsecs=15",
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        f"stdout_logfile={log}",
        "stdout_logfile_maxbytes=20MB",
        "stdout_logfile_backups=3",
    ]
    if environment:
        lines.append(f"environment={environment}")
    return "\n".join(lines) + "\n"


def render_conf(cfg: StackConfig) -> str:
    """supervisord.conf for the five services and the gateway."""
    head = f"""\
; Written by `python -m devstack up`; do not edit (it is rewritten on every run).
[unix_http_server]
file={SOCKET_PATH}
chmod=0700

[supervisord]
pidfile={PID_PATH}
logfile={cfg.logs_dir / "supervisord.log"}
logfile_maxbytes=10MB
childlogdir={cfg.logs_dir}
directory={REPO_ROOT}
identifier=ticketing-devstack
nodaemon=false

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{SOCKET_PATH}
"""
    programs = []
    for svc in cfg.services:
        port = cfg.service_ports[svc]
        command = [str(VENV_BIN / "uvicorn"), cfg.apps[svc], "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--no-access-log", *PROXY_HEADER_OPTIONS]
        if cfg.app_dir is not None:
            command += ["--app-dir", str(cfg.app_dir)]
        env = cfg.service_env(svc) | {"VIRTUAL_ENV": str(VENV_BIN.parent)}
        programs.append(_program(svc, command, env, cfg.logs_dir / f"{svc}.log", 100))
    # A local SMTP server that prints every mail it receives into var/log/mail.log.
    mail = [str(VENV_BIN / "python"), "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:1025"]
    mail += ["-c", "aiosmtpd.handlers.Debugging"]
    programs.append(_program("mail", mail, {}, cfg.logs_dir / "mail.log", 50))
    gateway = nginx_command(cfg.gateway_settings())
    programs.append(_program(GATEWAY_PROGRAM, gateway, {}, cfg.logs_dir / "gateway.log", 200))
    return head + "\n" + "\n".join(programs)


def write_conf(cfg: StackConfig) -> Path:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    CONF_PATH.write_text(render_conf(cfg))
    return CONF_PATH


def ctl(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run supervisorctl against our supervisord."""
    command = [str(VENV_BIN / "supervisorctl"), "-c", str(CONF_PATH), *args]
    return subprocess.run(command, capture_output=True, text=True, check=check)


def is_running() -> bool:
    """True when our supervisord answers on its socket."""
    if not CONF_PATH.exists() or not SOCKET_PATH.exists():
        return False
    result = ctl("pid")
    return result.returncode == 0 and result.stdout.strip().isdigit()


def start_daemon() -> None:
    """Start supervisord (it daemonizes and starts every program)."""
    command = [str(VENV_BIN / "supervisord"), "-c", str(CONF_PATH)]
    subprocess.run(command, check=True, cwd=REPO_ROOT)


def apply_and_start() -> str:
    """Pick up config changes (restarting changed programs) and start stopped ones."""
    update = ctl("update")
    start = ctl("start", "all")
    return (update.stdout + start.stdout).strip()


def shutdown() -> str:
    """Stop every program and supervisord itself."""
    return ctl("shutdown").stdout.strip()
