"""OpenAPI that tells the truth about errors.

Every operation documents the error statuses it can really answer, each with the contract's
error body:

- what the gateway may answer for any operation: 400, 414, 429, 500, 502, 503, 504;
- what follows from the operation's own shape: 413 and 422 when it takes a body, 422 when it
  takes parameters, 404 when its path names a resource, 401 when it needs a signed-in caller
  and 403 when it needs a role (read from its dependencies, so no route can forget them);
- what only the route knows (a 409, a 403 for ownership): ``responses=errors(403, 409)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from shared.security import get_current_user, roles_required_by

GATEWAY_STATUSES = (400, 414, 429, 500, 502, 503, 504)


class ErrorBody(BaseModel):
    """The contract's error body, for every error of every service and of the gateway."""

    success: bool = False
    error: str
    message: str
    details: dict[str, Any]
    request_id: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error statuses only the route itself knows about."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def no_content(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an operation that answers ``status`` with an empty body."""
    return {status: {"description": description, "content": {}}}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def error_statuses(route: Any) -> set[int]:
    """Every error status ``route`` can answer (see the module docstring)."""
    statuses = set(GATEWAY_STATUSES)
    dependant = route.dependant
    if route.body_field is not None:
        statuses |= {413, 422}
    fields = get_flat_params(dependant)  # also those of sub-dependencies, e.g. pagination
    if fields:
        statuses.add(422)
    if any(isinstance(field.field_info, params.Path) for field in fields):
        statuses.add(404)
    calls = list(_calls(dependant))
    if any(call is get_current_user for call in calls):
        statuses.add(401)
    if any(roles_required_by(call) for call in calls):
        statuses |= {401, 403}
    statuses |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def documented_openapi(app: FastAPI) -> dict[str, Any]:
    """``app``'s OpenAPI with every operation's error statuses (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    # routers are included as branches: walk to each operation with its full path
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(route)):
                responses[str(status)] = _error_response(status)
    # FastAPI's own 422 shapes are never sent: the error body replaces them.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
