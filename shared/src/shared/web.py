"""The HTTP edge every service shares: request ids, access logs, metrics, 500s, health, docs."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import error_body, install_error_handlers
from shared.logging import get_logger, request_id_var
from shared.observability import HTTP_DURATION, HTTP_REQUESTS, metrics
from shared.openapi import documented_openapi
from shared.settings import ServiceSettings

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# A percent-encoded C0/C1 control character or DEL in the path or query: never meaningful.
_ENCODED_CONTROL = re.compile(rb"%(?:[01][0-9A-Fa-f]|7[Ff])|%[Cc]2%[89][0-9A-Fa-f]")
_QUIET_PATHS = ("/health", "/metrics")

log = get_logger("shared.web")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Pure ASGI middleware, outermost: request id in and out, access log, metrics, and a
    contract-shaped 500 (without a trace) for anything that escaped the handlers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        edge: ASGIApp | None = None,
        edge_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.service = service
        # health, metrics and docs: answered without walking the service's routes (and so
        # never shadowed by a service's ``/{id}`` route)
        self.edge = edge
        self.edge_paths = edge_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._route(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled_error", path=scope["path"], method=scope["method"])
            if response_started:
                raise
            status = 500
            response = JSONResponse(
                error_body("internal_error", "Something went wrong on our side."), status_code=500
            )
            await response(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Control characters in the query or path → 422; health, metrics and docs → the edge;
        everything else → the service."""
        if _ENCODED_CONTROL.search(scope.get("query_string", b"")) or _ENCODED_CONTROL.search(
            scope.get("raw_path") or b""
        ):
            await _control_characters_refused(scope, receive, send)
        elif (
            self.edge is not None
            and scope["path"] in self.edge_paths
            and scope["method"] in ("GET", "HEAD")
        ):
            await self.edge(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        """The request's metrics and its access-log line."""
        route = scope.get("route")
        handler = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        HTTP_REQUESTS.labels(self.service, method, handler, str(status)).inc()
        HTTP_DURATION.labels(self.service, method, handler).observe(elapsed)
        if not scope["path"].startswith(_QUIET_PATHS) or status >= 400:
            log.info(
                "request",
                method=method,
                path=scope["path"],
                handler=handler,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


def _request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when it is a sane one, else a new id."""
    incoming = ""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            break
    return incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()


async def _control_characters_refused(scope: Scope, receive: Receive, send: Send) -> None:
    body = error_body(
        "validation_error",
        "The request has invalid fields.",
        {
            "fields": [
                {
                    "field": "query",
                    "location": "query",
                    "message": "must not contain control characters",
                    "type": "value_error",
                }
            ]
        },
    )
    await JSONResponse(body, status_code=422)(scope, receive, send)


ReadinessCheck = Callable[[], Awaitable[None]]


def edge_routes(
    app: FastAPI, prefix: str, checks: Callable[[Request], dict[str, ReadinessCheck]]
) -> list[Route]:
    """``/health`` (alive), ``/health/ready`` (dependencies answer), ``/metrics``, ``/docs``
    and ``/openapi.json`` — health and docs also under ``prefix`` (through the gateway).

    Plain Starlette routes: the request middleware answers them before the service's routes
    are walked, so a service's ``/{id}`` route can never shadow them.
    """

    async def alive(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks(request).items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # any failure means "not ready"; say which one
                results[name] = f"unavailable: {type(exc).__name__}"
        failing = [name for name, state in results.items() if state != "ok"]
        if failing:
            body = error_body(
                "upstream_unavailable",
                "Not ready: " + ", ".join(failing) + " unreachable.",
                {"checks": results},
            )
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "checks": results})

    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(app.openapi())

    def docs_for(url: str) -> Callable[[Request], Awaitable[HTMLResponse]]:
        async def docs(_request: Request) -> HTMLResponse:
            return get_swagger_ui_html(openapi_url=url, title=f"{app.title} — docs")

        return docs

    routes = [Route("/metrics", metrics, methods=["GET"])]
    for base in ("", prefix):
        routes += [
            Route(f"{base}/health", alive, methods=["GET"]),
            Route(f"{base}/health/ready", ready, methods=["GET"]),
            Route(f"{base}/openapi.json", openapi, methods=["GET"]),
            Route(f"{base}/docs", docs_for(f"{base}/openapi.json"), methods=["GET"]),
        ]
    return routes


class ServiceApp(FastAPI):
    """FastAPI whose OpenAPI documents every error status (``shared.openapi``)."""

    def openapi(self) -> dict[str, Any]:
        return documented_openapi(self)


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
    readiness: Callable[[Request], dict[str, ReadinessCheck]],
    description: str = "",
) -> FastAPI:
    """A FastAPI app with the house edge: error bodies, request ids, health, metrics, docs."""
    app = ServiceApp(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # no OpenTelemetry here: FastAPI would otherwise check the environment per request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    routes = edge_routes(app, settings.service_prefix, readiness)
    app.router.routes.extend(routes)  # other methods on those paths: the app's own 405
    app.add_middleware(
        RequestContextMiddleware,
        service=settings.SERVICE_NAME,
        edge=Router(routes=routes),
        edge_paths=frozenset(route.path for route in routes),
    )
    return app
