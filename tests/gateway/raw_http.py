"""Requests no HTTP client library will write (bad request lines, odd versions), sent raw."""

from __future__ import annotations

import http.client
import socket

import httpx2


def send_raw(port: int, request: bytes, *, source: str) -> httpx2.Response:
    """Write `request` as is to the gateway on `port` from `source`; read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(request)
        response = http.client.HTTPResponse(s, method="GET")
        response.begin()
        body = response.read()
    return httpx2.Response(response.status, headers=response.getheaders(), content=body)
