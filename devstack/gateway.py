"""Render the one nginx template (nginx/nginx.conf.template) and build nginx's command."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from devstack.services import NGINX_TEMPLATE, SERVICE_NAMES

DEFAULT_CORS_ORIGINS = r"^https?://(localhost|127\.0\.0\.1)(:[0-9]+)?$"
# nginx reaches the services on 127.0.0.1, so its connections come from 127.0.0.1: the one
# address whose X-Forwarded-For a service believes. The gateway overwrites that header with
# the real client address, so nothing a client writes gets through (see the template).
GATEWAY_SOURCE_ADDRESS = "127.0.0.1"
# uvicorn options for a service behind the gateway: the client address comes from
# X-Forwarded-For, but only on connections from the gateway.
PROXY_HEADER_OPTIONS = ("--proxy-headers", "--forwarded-allow-ips", GATEWAY_SOURCE_ADDRESS)
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
NGINX_BINARY_CANDIDATES = (
    "/usr/sbin/nginx",
    "/usr/local/sbin/nginx",
    "/usr/local/nginx/sbin/nginx",
)


class TemplateError(ValueError):
    """The template names a placeholder nobody provides."""


@dataclass
class GatewaySettings:
    """Everything the template needs; `values()` maps it onto the placeholders."""

    port: int
    upstreams: dict[str, str]
    prefix_dir: Path
    rate_limit_rps: int = 10
    rate_limit_burst: int = 20
    auth_rate_limit_rpm: int = 30
    auth_rate_limit_burst: int = 10
    cors_origins: str = DEFAULT_CORS_ORIGINS
    worker_processes: str = "auto"
    error_log: str = "stderr"
    access_log: str = "/dev/stdout"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.prefix_dir / "nginx.conf"

    @property
    def pid_path(self) -> Path:
        return self.prefix_dir / "nginx.pid"

    @property
    def temp_dir(self) -> Path:
        return self.prefix_dir / "temp"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def values(self) -> dict[str, str]:
        """Placeholder name -> value."""
        missing = [name for name in SERVICE_NAMES if name not in self.upstreams]
        if missing:
            raise TemplateError(f"no upstream for {', '.join(missing)}")
        values = {
            "NGINX_WORKER_PROCESSES": self.worker_processes,
            "NGINX_PID_PATH": str(self.pid_path),
            "NGINX_TEMP_DIR": str(self.temp_dir),
            "NGINX_ERROR_LOG": self.error_log,
            "NGINX_ACCESS_LOG": self.access_log,
            "GATEWAY_PORT": str(self.port),
            "RATE_LIMIT_RPS": str(self.rate_limit_rps),
            "RATE_LIMIT_BURST": str(self.rate_limit_burst),
            "AUTH_RATE_LIMIT_RPM": str(self.auth_rate_limit_rpm),
            "AUTH_RATE_LIMIT_BURST": str(self.auth_rate_limit_burst),
            "CORS_ORIGINS": self.cors_origins,
            # upstreams are 127.0.0.1 addresses here: no DNS, nothing to re-resolve
            "NGINX_RESOLVER": "127.0.0.1",
            "NGINX_UPSTREAM_RESOLVE": "",
        }
        values |= {f"{name.upper()}_UPSTREAM": addr for name, addr in self.upstreams.items()}
        return values | self.extra


def template_placeholders(text: str | None = None) -> set[str]:
    """Every `${NAME}` the template uses."""
    source = NGINX_TEMPLATE.read_text() if text is None else text
    return set(PLACEHOLDER.findall(source))


def render(values: dict[str, str], template: str | None = None) -> str:
    """Substitute known `${NAME}`s only; nginx's own `$vars` are left alone."""
    source = NGINX_TEMPLATE.read_text() if template is None else template
    unknown = sorted(template_placeholders(source) - values.keys())
    if unknown:
        raise TemplateError(f"template placeholders without a value: {', '.join(unknown)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], source)


def write_config(settings: GatewaySettings) -> Path:
    """Render into `<prefix>/nginx.conf`, creating the prefix and temp dirs."""
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    # nginx workers drop to `nobody` when the master runs as root: let them in.
    for path in (settings.prefix_dir, settings.temp_dir):
        path.chmod(0o755)
    settings.config_path.write_text(render(settings.values()))
    return settings.config_path


def nginx_binary() -> str:
    """The nginx executable (PATH first, then the usual places)."""
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in NGINX_BINARY_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("nginx is not installed (scripts/bootstrap.sh installs nginx-light)")


def nginx_command(settings: GatewaySettings, *, test_only: bool = False) -> list[str]:
    """Run nginx in the foreground from its prefix dir (or just `-t` the config)."""
    command = [nginx_binary(), "-p", str(settings.prefix_dir), "-c", str(settings.config_path)]
    command += ["-g", "daemon off;"]
    if test_only:
        command.append("-t")
    return command
