"""Errors and the contract's error body.

    DomainError (500 internal_error)
    ├── BadRequest (400 bad_request)
    ├── Unauthorized (401 unauthorized) ── TokenExpired, TokenRevoked (401 token_expired, …)
    ├── Forbidden (403 forbidden)
    ├── NotFound (404 not_found)
    ├── Conflict (409, code given by the subclass: seats_unavailable, invalid_state, …)
    ├── PayloadTooLarge (413 payload_too_large)
    ├── RateLimited (429 rate_limited, Retry-After)
    └── UpstreamUnavailable (503 upstream_unavailable)

A database error of SQLSTATE class 22 (a value PostgreSQL cannot hold) is a 422 as well, so a
field whose input type forgot a bound can never turn into a 500.

Services raise these (or their own subclasses) from ``service.py``; :func:`install_error_handlers`
maps every error — ours, FastAPI's validation errors, Starlette's 404/405 — to one body:
``{"success": false, "error", "message", "details", "request_id"}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import request_id_var


class DomainError(Exception):
    status_code: int = 500
    code: str = "internal_error"
    message: str = "Something went wrong."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(DomainError):
    status_code, code, message = 400, "bad_request", "The request is not valid."


class Unauthorized(DomainError):
    status_code, code, message = 401, "unauthorized", "Authentication is required."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class TokenExpired(Unauthorized):
    code, message = "token_expired", "The access token has expired."


class TokenRevoked(Unauthorized):
    code, message = "token_revoked", "The session of this access token has ended; sign in again."


class Forbidden(DomainError):
    status_code, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(DomainError):
    status_code, code, message = 404, "not_found", "Not found."


class Conflict(DomainError):
    status_code, code, message = 409, "conflict", "The request conflicts with the current state."


class InvalidState(Conflict):
    code, message = "invalid_state", "Not allowed in the current state."


class AlreadyExists(Conflict):
    code, message = "already_exists", "It already exists."


class PayloadTooLarge(DomainError):
    status_code, code, message = 413, "payload_too_large", "The request body is too large."


class RateLimited(DomainError):
    status_code, code, message = 429, "rate_limited", "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(max(1, retry_after))})
        super().__init__(message, **kwargs)


class UpstreamUnavailable(DomainError):
    status_code, code, message = (
        503,
        "upstream_unavailable",
        "A service we depend on is unavailable.",
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    502: "upstream_unavailable",
    503: "upstream_unavailable",
    504: "upstream_unavailable",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "success": False,
        "error": code,
        "message": message,
        "details": details or {},
        "request_id": request_id_var.get(),
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def validation_details(errors: Any) -> dict[str, Any]:
    """One entry per bad field: ``{"field": "seat_ids.0", "location": "body", ...}``."""
    fields = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        location = (
            loc[0] if loc and loc[0] in {"body", "query", "path", "header", "cookie"} else "body"
        )
        path = loc[1:] if loc and loc[0] == location else loc
        fields.append(
            {
                "field": ".".join(path) or location,
                "location": location,
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
        )
    return {"fields": fields}


# Starlette calls each handler only with the class it was registered for; the checks below are
# what tells the type checker so, and re-raise anything else to the 500 handler.


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DomainError):
        raise exc
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    details = validation_details(exc.errors())
    return error_response(422, "validation_error", "The request has invalid fields.", details)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    status = exc.status_code
    code = _STATUS_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    detail = exc.detail if isinstance(exc.detail, str) else None
    message = detail or HTTPStatus(status).phrase
    if status == 404 and detail == "Not Found":
        message = "No such resource."
    return error_response(status, code, message, headers=dict(exc.headers or {}))


def is_data_error(exc: BaseException) -> bool:
    """PostgreSQL refused a value (SQLSTATE class 22: out of range, not storable text, …)."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and isinstance(sqlstate, str) and sqlstate.startswith("22")


def is_connection_lost(exc: BaseException) -> bool:
    """The database went away under the request (a restart, a failover, a cut connection):
    SQLAlchemy invalidated the connection, or the driver lost or broke it."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError | OperationalError):
        return True
    if isinstance(exc.orig, OSError):
        return True  # no connection could be made (refused, reset, timed out)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(("08", "57P")):
        return True  # a connection exception; the server shutting down or not yet up
    return type(exc.orig).__name__ in _LOST


# asyncpg's: the server closed the connection, or it was left mid-operation by one that did
_LOST = frozenset(
    {
        "ConnectionDoesNotExistError",
        "InternalClientError",
        "InterfaceError",
        "ConnectionFailureError",
    }
)


def _unavailable() -> JSONResponse:
    return error_response(
        503,
        "upstream_unavailable",
        "The database is unavailable for a moment; try again.",
        headers={"Retry-After": "1"},
    )


# A connection the service opens itself refused, cut or silent: the database driver raises the
# socket's own error while PostgreSQL restarts, the hold scripts' connection (event) raises the
# builtin ones, redis-py its own; SQLAlchemy's pool times out when every connection stays busy
# (``DB_POOL_SIZE``) for ``pool_timeout``.
_LOST_CONNECTION = (
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    PoolTimeoutError,
)


async def _on_connection_error(_request: Request, exc: Exception) -> JSONResponse:
    """A dependency's connection refused, cut or timed out: a 503 the caller may retry."""
    if not isinstance(exc, _LOST_CONNECTION):
        raise exc
    return _unavailable()


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the input types let through but the database cannot hold is the caller's
    422, not our 500 (the transaction is rolled back with the session); a database that went
    away is a 503 the caller may retry (the pool replaces the connection). Anything else
    from the database is a real failure and goes on to the 500 handler."""
    if is_connection_lost(exc):
        return _unavailable()
    if not is_data_error(exc):
        raise exc
    return error_response(
        422,
        "validation_error",
        "A value is out of range or is not storable text.",
        {"fields": [{"field": "body", "location": "body", "message": "not storable"}]},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the contract's body (500s are handled by the request middleware)."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    for lost in _LOST_CONNECTION:
        app.add_exception_handler(lost, _on_connection_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
