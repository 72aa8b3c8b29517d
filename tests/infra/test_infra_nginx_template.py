"""nginx/nginx.conf.template renders for the local stack and for compose, and passes nginx -t."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.config import StackConfig
from devstack.gateway import (
    GatewaySettings,
    TemplateError,
    nginx_binary,
    render,
    template_placeholders,
    write_config,
)
from devstack.services import NGINX_TEMPLATE, SERVICE_NAMES

COMPOSE_HOSTS = "127.0.0.1 localhost " + " ".join(SERVICE_NAMES) + "\n"


def nginx_test(config: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    command = [nginx_binary(), "-t", "-q", "-p", str(prefix), "-c", str(config)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def local_settings(tmp_path: Path) -> GatewaySettings:
    upstreams = {svc: f"127.0.0.1:{8001 + i}" for i, svc in enumerate(SERVICE_NAMES)}
    return GatewaySettings(port=18080, upstreams=upstreams, prefix_dir=tmp_path / "nginx")


def test_every_placeholder_has_a_value_when_rendered_locally(tmp_path: Path) -> None:
    values = local_settings(tmp_path).values()
    assert template_placeholders() <= values.keys()
    assert "${" not in render(values)


def test_nginx_variables_survive_rendering(tmp_path: Path) -> None:
    rendered = render(local_settings(tmp_path).values())
    for variable in ("$request_id", "$http_x_request_id", "$binary_remote_addr", "$http_origin"):
        assert variable in rendered


def test_render_refuses_unknown_placeholders() -> None:
    with pytest.raises(TemplateError):
        render({}, template="listen ${GATEWAY_PORT};")


def test_local_render_passes_nginx_t(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    config = write_config(settings)
    result = nginx_test(config, settings.prefix_dir)
    assert result.returncode == 0, result.stderr


def test_local_stack_config_renders_its_own_ports(tmp_path: Path) -> None:
    cfg = StackConfig.for_local({"GATEWAY_PORT": "18181", "RATE_LIMIT_RPS": "7"})
    cfg.nginx_dir = tmp_path / "nginx"
    text = render(cfg.gateway_settings().values())
    assert "listen 18181;" in text
    assert "rate=7r/s" in text
    assert "server 127.0.0.1:8003 " in text


def envsubst_like_nginx_image(template: str, env: dict[str, str]) -> str:
    """What /docker-entrypoint.d/20-envsubst-on-templates.sh does: defined variables only."""
    envsubst = shutil.which("envsubst")
    if envsubst is None:
        return render(env, template)
    shell_format = " ".join(f"${{{name}}}" for name in env)
    result = subprocess.run(
        [envsubst, shell_format],
        input=template,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def _nginx_version() -> tuple[int, ...]:
    banner = subprocess.run(
        [nginx_binary(), "-v"], capture_output=True, text=True, check=True
    ).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", banner)
    assert found, banner
    return tuple(int(part) for part in found.groups())


def test_compose_env_renders_template_and_passes_nginx_t(
    compose_config: dict[str, Any], tmp_path: Path
) -> None:
    # `config` output keeps `$` escaped as `$$`; the container sees a single `$`.
    environment = compose_config["services"]["nginx"]["environment"]
    env = {k: str(v).replace("$$", "$") for k, v in environment.items()}
    assert template_placeholders() <= env.keys(), "compose must set every placeholder"
    # The image's own paths do not exist here: point pid/temp at the test's prefix.
    (tmp_path / "temp").mkdir()
    env |= {"NGINX_PID_PATH": str(tmp_path / "nginx.pid"), "NGINX_TEMP_DIR": str(tmp_path / "temp")}
    rendered = envsubst_like_nginx_image(NGINX_TEMPLATE.read_text(), env)
    assert "${" not in rendered
    assert "server auth:8001 " in rendered
    assert '"~^https?://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?$"' in rendered
    for service in SERVICE_NAMES:  # every upstream follows its container's address
        assert re.search(rf"server {service}:\d+ max_fails=0 resolve;", rendered), service
    assert "resolver 127.0.0.11 valid=10s" in rendered
    if _nginx_version() < (1, 27, 3):  # `resolve` on an upstream server came with 1.27.3
        rendered = rendered.replace(" max_fails=0 resolve;", " max_fails=0;")
    config = tmp_path / "nginx.conf"
    config.write_text(rendered)
    unshare = shutil.which("unshare")
    hosts = tmp_path / "hosts"
    hosts.write_text(COMPOSE_HOSTS)
    if unshare:  # resolve the compose service names without touching the real /etc/hosts
        nginx = f"{nginx_binary()} -t -q -p {tmp_path} -c {config}"
        inner = f"mount --bind {hosts} /etc/hosts && exec {nginx}"
        result = subprocess.run(
            [unshare, "-m", "sh", "-c", inner], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 or "host not found" in result.stderr:
            assert result.returncode == 0, result.stderr
            return
    for service in SERVICE_NAMES:  # no mount namespace here: check the rest of the config
        rendered = rendered.replace(f"server {service}:", "server 127.0.0.1:")
    config.write_text(rendered)
    result = nginx_test(config, tmp_path)
    assert result.returncode == 0, result.stderr
