"""The five services: names, ports, ASGI factories and where things live on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
INIT_SQL = REPO_ROOT / "init-scripts" / "01-databases.sql"
NGINX_TEMPLATE = REPO_ROOT / "nginx" / "nginx.conf.template"


@dataclass(frozen=True)
class Service:
    """One deployable service."""

    name: str
    port: int
    package: str

    @property
    def app(self) -> str:
        """The uvicorn factory import string."""
        return f"{self.package}.main:create_app"

    @property
    def source_dir(self) -> Path:
        return REPO_ROOT / "services" / self.name

    @property
    def url_variable(self) -> str:
        """The environment variable other services use to reach this one."""
        return f"{self.name.upper()}_URL"

    @property
    def upstream_variable(self) -> str:
        """The gateway template placeholder naming this service's upstream."""
        return f"{self.name.upper()}_UPSTREAM"


SERVICES: tuple[Service, ...] = (
    Service("auth", 8001, "auth_service"),
    Service("event", 8002, "event_service"),
    Service("booking", 8003, "booking_service"),
    Service("payment", 8004, "payment_service"),
    Service("notification", 8005, "notification_service"),
)
SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)
BY_NAME: dict[str, Service] = {s.name: s for s in SERVICES}
