"""The mailer against a real SMTP server (aiosmtpd): batches share one kept-open connection,
a connection the server closed is replaced without a refusal, an unreachable server refuses
the whole batch for now."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notification_service import emails
from notification_service.mailer import Mailer, Outgoing
from shared.testing.infra import free_port

from .conftest import SmtpSink

pytestmark = pytest.mark.integration


class Server:
    """An SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.sink.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.sink.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _mailer(port: int) -> Mailer:
    return Mailer(host="127.0.0.1", port=port, sender="Ticketing <no-reply@t.local>", timeout=3)


def _message(mailer: Mailer) -> tuple[str, Outgoing]:
    address = f"m-{uuid.uuid4().hex[:10]}@example.test"
    email = emails.booking_expired(greeting="x", booking_id=uuid.uuid4())
    return address, mailer.build(to_email=address, to_name="", email=email, message_id="<a@b>")


async def test_batches_share_one_kept_open_connection_when_sent_one_after_another(
    server: Server,
) -> None:
    mailer = _mailer(server.sink.port)
    first, second, third = _message(mailer), _message(mailer), _message(mailer)
    assert await mailer.send_batch([first[1], second[1]]) == [None, None]
    assert await mailer.send_batch([third[1]]) == [None]
    await mailer.close()
    (again,) = [_message(mailer)]
    assert await mailer.send_batch([again[1]]) == [None]
    await mailer.close()

    peers = server.sink.connections([first[0], second[0], third[0], again[0]])
    assert peers[0] == peers[1] == peers[2] != peers[3]  # a new one after close()


async def test_a_connection_the_server_closed_is_replaced_without_refusal_when_sending_again(
    server: Server,
) -> None:
    mailer = _mailer(server.sink.port)
    first = _message(mailer)
    assert await mailer.send_batch([first[1]]) == [None]
    server.stop()  # the server goes away, and with it the kept connection
    server.start()
    second = _message(mailer)
    assert await mailer.send_batch([second[1]]) == [None]
    await mailer.close()
    assert len(server.sink.to(second[0])) == 1
    (old,), (new,) = server.sink.connections([first[0]]), server.sink.connections([second[0]])
    assert old != new


async def test_every_message_is_refused_for_now_when_the_server_is_unreachable() -> None:
    mailer = _mailer(free_port())
    outcomes: list[Any] = await mailer.send_batch([_message(mailer)[1], _message(mailer)[1]])
    assert len(outcomes) == 2
    assert all(o is not None and not o.permanent and "SMTPConnect" in o.error for o in outcomes)
