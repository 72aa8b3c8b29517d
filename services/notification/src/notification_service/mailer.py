"""Email over SMTP (aiosmtplib): each message composed straight to MIME bytes — a text body,
an HTML alternative, attachments — and sent in batches over one connection, kept open while
mail keeps coming."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from notification_service.domain import AddressUnusable
from notification_service.emails import Email

MESSAGE_ID_DOMAIN = "ticketing.local"
# Said in EHLO. aiosmtplib would otherwise ask socket.getfqdn() for every connection (a name
# lookup, and most of a connection's cost).
LOCAL_HOSTNAME = "ticketing.local"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as it goes on the wire: its envelope recipient and its bytes."""

    recipient: str
    data: bytes
    smtputf8: bool = False  # the address is not ASCII: the server must offer SMTPUTF8


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one message of a batch was not sent; ``permanent`` when retrying cannot help (the
    server answered 5xx, or the message cannot be put on the wire)."""

    error: str
    permanent: bool = False


def message_id_header(message_id: uuid.UUID, kind: str) -> str:
    """The same notification always gets the same Message-ID, so a re-send is recognisable."""
    return f"<{message_id}.{kind}@{MESSAGE_ID_DOMAIN}>"


def check_address(to_email: str, to_name: str) -> None:
    """:class:`AddressUnusable` when the address cannot go on an envelope (checked when the
    email is queued: no retry would help)."""
    try:
        Address(display_name=to_name, addr_spec=to_email)
    except (ValueError, IndexError) as exc:
        raise AddressUnusable(f"cannot address {to_email!r}: {exc}") from exc


def _one_line(value: str) -> str:
    """Header text on one line whatever it holds (no header can be smuggled in)."""
    return " ".join(value.split()) if "\r" in value or "\n" in value else value


def _subject(value: str) -> str:
    """The subject: as it is when plain ASCII, else RFC 2047 encoded words (UTF-8)."""
    value = _one_line(value)
    if value.isascii() and "=?" not in value:
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _to_header(name: str, address: str) -> str:
    name = _one_line(name)
    if address.isascii():
        return formataddr((name, address))  # quotes or encodes the name as it needs
    # SMTPUTF8 (RFC 6532): the header may carry UTF-8 as it is
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>' if name else address


def _base64_part(headers: str, content: bytes) -> bytes:
    body = base64.encodebytes(content).replace(b"\n", b"\r\n")
    return f"{headers}Content-Transfer-Encoding: base64\r\n\r\n".encode() + body


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    # "=_" never occurs in base64 lines or in these headers: the boundary cannot collide
    boundary = f"=_{uuid.uuid4().hex}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + part + b"\r\n" for part in parts)
    return head + body + f"--{boundary}--\r\n".encode()


def compose(
    *,
    sender: str,
    to_email: str,
    to_name: str,
    email: Email,
    message_id: str,
    attachments: Sequence[Attachment] = (),
) -> Outgoing:
    """The message's MIME bytes: ``multipart/alternative`` (text, then HTML, both UTF-8 in
    base64) inside ``multipart/mixed`` with the attachments. Written directly: the ``email``
    package's object model costs more than a ticket's PDF."""
    check_address(to_email, to_name)
    headers = (
        f"From: {sender}\r\n"
        f"To: {_to_header(to_name, to_email)}\r\n"
        f"Subject: {_subject(email.subject)}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
    )
    utf8 = 'charset="utf-8"'
    alternative = _multipart(
        "alternative",
        [
            _base64_part(f"Content-Type: text/plain; {utf8}\r\n", email.text.encode()),
            _base64_part(f"Content-Type: text/html; {utf8}\r\n", email.html.encode()),
        ],
    )
    body = alternative
    if attachments:
        files = [
            _base64_part(
                f'Content-Type: {a.content_type}; name="{a.filename}"\r\n'
                f'Content-Disposition: attachment; filename="{a.filename}"\r\n',
                a.content,
            )
            for a in attachments
        ]
        body = _multipart("mixed", [alternative, *files])
    return Outgoing(
        recipient=to_email, data=headers.encode() + body, smtputf8=not to_email.isascii()
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _refusal(exc: Exception) -> Refusal:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        permanent = all(500 <= refused.code < 600 for refused in exc.recipients)
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = 500 <= exc.code < 600
    else:  # SMTPUTF8 not offered by the server, an address the protocol cannot carry
        permanent = True
    return Refusal(_describe(exc), permanent=permanent)


# What one message can meet while the connection stays usable (aiosmtplib resets the
# envelope after a refusal); anything else from SMTP means the connection is gone.
_REFUSED = (
    aiosmtplib.SMTPResponseException,
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPNotSupported,
    ValueError,
)
_UNREACHABLE = (aiosmtplib.SMTPException, OSError, TimeoutError)


class Mailer:
    """Composes messages and sends them in batches over one SMTP connection, which stays open
    for the next batch until :meth:`close` (the sender closes it once mail stops coming)."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self._envelope_sender = parseaddr(sender)[1]
        self._smtp: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    def build(
        self,
        *,
        to_email: str,
        to_name: str,
        email: Email,
        message_id: str,
        attachments: Sequence[Attachment] = (),
    ) -> Outgoing:
        return compose(
            sender=self.sender,
            to_email=to_email,
            to_name=to_name,
            email=email,
            message_id=message_id,
            attachments=attachments,
        )

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[Refusal | None]:
        """Send ``messages`` in order over one connection: for each, None once the server
        accepted it, or why not. A lost connection refuses the rest (transiently)."""
        async with self._lock:
            return await self._send_all(messages)

    async def _send_all(self, messages: Sequence[Outgoing]) -> list[Refusal | None]:
        outcomes: list[Refusal | None] = []
        if not messages:
            return outcomes
        reused = self._smtp is not None
        try:
            smtp = await self._connection()
        except _UNREACHABLE as exc:
            return [Refusal(_describe(exc))] * len(messages)
        for message in messages:
            try:
                await smtp.sendmail(
                    self._envelope_sender,
                    [message.recipient],
                    message.data,
                    mail_options=["SMTPUTF8"] if message.smtputf8 else None,
                )
            except _REFUSED as exc:
                outcomes.append(_refusal(exc))
                continue
            except _UNREACHABLE as exc:
                self.drop()
                if reused and not outcomes:  # the server had closed the idle connection
                    return await self._send_all(messages)  # once more, on a new one
                outcomes += [Refusal(_describe(exc))] * (len(messages) - len(outcomes))
                break
            except BaseException:  # unforeseen, or cancelled: the conversation's state is unknown
                self.drop()
                raise
            outcomes.append(None)
        return outcomes

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is None:
            smtp = aiosmtplib.SMTP(
                hostname=self.host,
                port=self.port,
                timeout=self.timeout,
                local_hostname=LOCAL_HOSTNAME,
            )
            await smtp.connect()
            self._smtp = smtp
        return self._smtp

    async def close(self) -> None:
        """Say goodbye to the server and close the connection (if one is open)."""
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is None:
                return
            try:
                await smtp.quit()
            except _UNREACHABLE:
                smtp.close()

    def drop(self) -> None:
        """Close the connection without a word (it failed, or the process is stopping)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()
