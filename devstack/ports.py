"""Free TCP ports and waiting for ports to open or close."""

from __future__ import annotations

import socket
import time

from shared.testing.infra import free_port as _free_port


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now, outside the ephemeral range (see shared.testing)."""
    return _free_port(host)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port(host))
    return sorted(ports)


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until_closed(ports: list[int], timeout: float = 30.0) -> list[int]:
    """Wait for every port to stop listening; return those still open at the deadline."""
    deadline = time.monotonic() + timeout
    busy = [p for p in ports if is_listening(p)]
    while busy and time.monotonic() < deadline:
        time.sleep(0.2)
        busy = [p for p in busy if is_listening(p)]
    return busy
