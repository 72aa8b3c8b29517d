"""A mail server for the collection's test stack that reads like Mailpit.

postman_collection.json takes the verification and reset tokens from the mail, through
Mailpit's HTTP API (compose runs Mailpit). Here an aiosmtpd server keeps what the stack sends
and a small HTTP server answers the two calls the collection makes, in Mailpit's shapes:
``GET /api/v1/search?query=to:"<address>"`` (newest first) and ``GET /api/v1/message/<ID>``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiosmtpd.controller import Controller

from shared.testing.infra import free_port

TO_QUERY = re.compile(r'^to:"?([^"\s]+)"?$')


@dataclass
class Mail:
    id: str
    message: EmailMessage
    created: str

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    def summary(self) -> dict[str, Any]:
        return {
            "ID": self.id,
            "Subject": str(self.message["Subject"] or ""),
            "To": [{"Name": "", "Address": self.to}],
            "Created": self.created,
        }

    def detail(self) -> dict[str, Any]:
        body = self.message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        return self.summary() | {"Text": text}


@dataclass
class MailStore:
    """The aiosmtpd handler: every message received, oldest first."""

    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            mail = Mail(str(len(self.mails) + 1), message, datetime.now(UTC).isoformat())
            self.mails.append(mail)
        return "250 OK"

    def search(self, query: str) -> list[Mail]:
        match = TO_QUERY.match(query.strip())
        address = match.group(1).lower() if match else ""
        with self.lock:
            found = [m for m in self.mails if address and address in m.to.lower()]
        return list(reversed(found))

    def get(self, mail_id: str) -> Mail | None:
        with self.lock:
            return next((m for m in self.mails if m.id == mail_id), None)


def _handler(store: MailStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/api/v1/search":
                found = store.search(parse_qs(url.query).get("query", [""])[0])
                summaries = [m.summary() for m in found]
                self._json(
                    200, {"total": len(found), "messages_count": len(found), "messages": summaries}
                )
            elif url.path.startswith("/api/v1/message/"):
                mail = store.get(unquote(url.path.rsplit("/", 1)[1]))
                if mail is None:
                    self._json(404, {"error": "message not found"})
                else:
                    self._json(200, mail.detail())
            else:
                self._json(404, {"error": "not found"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test prints what matters."""

    return Handler


@dataclass
class RunningMailpit:
    smtp_port: int
    api_url: str
    store: MailStore


@contextmanager
def run_mailpit() -> Iterator[RunningMailpit]:
    """SMTP on a free loopback port, the API on another, both stopped on exit."""
    store = MailStore()
    smtp = Controller(store, hostname="127.0.0.1", port=free_port())
    smtp.start()
    api = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    thread = threading.Thread(target=api.serve_forever, name="mailpit-api", daemon=True)
    thread.start()
    try:
        yield RunningMailpit(smtp.port, f"http://127.0.0.1:{api.server_address[1]}", store)
    finally:
        api.shutdown()
        api.server_close()
        smtp.stop()
