"""Service-to-service HTTP: one pooled client per process, timeouts, retries on transient faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from shared.errors import UpstreamUnavailable
from shared.logging import get_logger, request_id_var
from shared.security import INTERNAL_TOKEN_HEADER
from shared.settings import ServiceSettings

T = TypeVar("T")

log = get_logger("shared.http")

_TRANSIENT = frozenset({502, 503, 504})


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


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A final answer from another service: its status and the contract's error body."""

    status: int
    code: str | None
    details: dict[str, Any]


RefusalMap = Mapping[int, Callable[[Refusal], Exception]]


class InternalClient:
    """Another service's ``/internal/...`` API: the internal credential and request id on every
    call, jittered retries on transport faults and 502/503/504, answers parsed into the
    contract's model, the statuses the caller expects mapped to its errors (``refusals``), and
    everything else — unreachable, an unexpected status, an unreadable answer — one
    :class:`~shared.errors.UpstreamUnavailable` (503), so no caller hand-writes that plumbing."""

    def __init__(
        self, http: httpx2.AsyncClient, settings: ServiceSettings, *, service: str, base_url: str
    ) -> None:
        self.http = http
        self.settings = settings
        self.service = service
        self.base_url = base_url.rstrip("/")

    async def post(
        self, path: str, body: BaseModel, *, answer: type[M], refusals: RefusalMap | None = None
    ) -> M:
        return await self._call("POST", path, body, answer=answer, refusals=refusals or {})

    async def get(self, path: str, *, answer: type[M], refusals: RefusalMap | None = None) -> M:
        return await self._call("GET", path, None, answer=answer, refusals=refusals or {})

    async def find(self, path: str, *, answer: type[M]) -> M | None:
        """A GET whose 404 means "there is none": ``None`` instead of an error."""
        try:
            return await self.get(path, answer=answer, refusals={404: _Missing})
        except _Missing:
            return None

    async def _call(
        self,
        method: str,
        path: str,
        body: BaseModel | None,
        *,
        answer: type[M],
        refusals: RefusalMap,
    ) -> M:
        url = f"{self.base_url}{path}"

        async def call() -> httpx2.Response:
            response = await self.http.request(
                method,
                url,
                content=None if body is None else body.model_dump_json().encode(),
                headers={
                    **internal_headers(self.settings),
                    **({} if body is None else {"Content-Type": "application/json"}),
                },
                timeout=self.settings.HTTP_TIMEOUT_SECONDS,
            )
            if response.status_code in _TRANSIENT:
                response.raise_for_status()
            return response

        try:
            response = await with_retries(call)
        except httpx2.HTTPError as exc:
            log.warning("internal_call_failed", url=url, error=repr(exc))
            raise UpstreamUnavailable(f"The {self.service} service is unavailable.") from exc
        if response.status_code in refusals:
            raise refusals[response.status_code](_refusal_of(response))
        if not 200 <= response.status_code < 300:
            log.warning("internal_call_refused", url=url, status=response.status_code)
            raise UpstreamUnavailable(f"The {self.service} service gave an unexpected answer.")
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("internal_answer_unreadable", url=url, error=str(exc))
            raise UpstreamUnavailable(
                f"The {self.service} service gave an unreadable answer."
            ) from exc


class _Missing(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)


def _refusal_of(response: httpx2.Response) -> Refusal:
    """The contract's error body, tolerating anything else."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    code, details = body.get("error"), body.get("details")
    return Refusal(
        status=response.status_code,
        code=code if isinstance(code, str) else None,
        details=details if isinstance(details, dict) else {},
    )
