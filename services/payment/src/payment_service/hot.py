"""The hot lane: ``POST /api/payments`` answered without FastAPI's per-request work
(``shared.hotlane`` says how a lane works).

Every purchase pays once; the charge itself is three statements, and around it FastAPI matched
the routes, solved five dependencies and validated the body through its generic machinery —
measured in-process, a third of the request's CPU. A card number FastAPI would refuse is never
echoed either way: such a body is FastAPI's to answer, and its 422 leaves the input out.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from payment_service import service
from payment_service.context import Context
from payment_service.schemas import PaymentCreate
from shared import hotlane
from shared.hotlane import RouteLabel
from shared.security import Principal

_PATH = "/api/payments"
_MAX_BODY = 16 * 1024  # a payment body is a few hundred bytes; anything larger: FastAPI's
_ROUTE = RouteLabel(_PATH)


class HotPayments:
    """See the module doc."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != _PATH:
            await self.app(scope, receive, send)
            return
        await hotlane.idempotent_post(
            self.app,
            scope,
            receive,
            send,
            model=PaymentCreate,
            max_bytes=_MAX_BODY,
            route=_ROUTE,
            answer=_answer,
        )


async def _answer(scope: Scope, user: Principal, body: PaymentCreate, key: str | None) -> Any:
    ctx: Context = hotlane.context(scope)
    try:
        async with ctx.sessionmaker() as session:
            outcome = await service.pay_for_booking(
                session, ctx=ctx, user=user, request=body, idempotency_key=key
            )
    except Exception as exc:
        return await hotlane.error_answer(scope, exc)
    return outcome.answer()
