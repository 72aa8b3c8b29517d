"""Service-to-service HTTP: one pooled client per process, timeouts, retries on transient faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx2
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from shared.logging import request_id_var
from shared.security import INTERNAL_TOKEN_HEADER
from shared.settings import ServiceSettings

T = TypeVar("T")


def make_http_client(settings: ServiceSettings) -> httpx2.AsyncClient:
    timeout = httpx2.Timeout(settings.HTTP_TIMEOUT_SECONDS, connect=2.0)
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    return httpx2.AsyncClient(timeout=timeout, limits=limits)


def internal_headers(settings: ServiceSettings) -> dict[str, str]:
    """The internal credential plus the current request id, for ``/internal/...`` calls."""
    headers = {INTERNAL_TOKEN_HEADER: settings.INTERNAL_TOKEN.get_secret_value()}
    request_id = request_id_var.get()
    if request_id:
        headers["X-Request-ID"] = request_id
    return headers


def is_transient(exc: BaseException) -> bool:
    """Connection failures, timeouts and 502/503/504 are worth another try."""
    if isinstance(exc, httpx2.TransportError):
        return True
    return isinstance(exc, httpx2.HTTPStatusError) and exc.response.status_code in {502, 503, 504}


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    """Run ``call`` up to ``attempts`` times with jittered backoff on transient faults only."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=0.1, max=1.0),
        retry=retry_if_exception(is_transient),
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable")
