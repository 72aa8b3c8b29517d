"""Sending email over SMTP (aiosmtplib): a text body, an HTML alternative, attachments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notification_service.domain import AddressUnusable, MailNotSent
from notification_service.emails import Email

MESSAGE_ID_DOMAIN = "ticketing.local"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def message_id_header(message_id: uuid.UUID, kind: str) -> str:
    """The same notification always gets the same Message-ID, so a re-send is recognisable."""
    return f"<{message_id}.{kind}@{MESSAGE_ID_DOMAIN}>"


class Mailer:
    """Builds and sends messages; one SMTP connection per message (low volume, simple)."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def build(
        self,
        *,
        to_email: str,
        to_name: str,
        email: Email,
        message_id: str,
        attachments: Sequence[Attachment] = (),
    ) -> EmailMessage:
        message = EmailMessage()
        try:
            message["To"] = Address(display_name=to_name, addr_spec=to_email)
        except (ValueError, IndexError) as exc:
            raise AddressUnusable(f"cannot address {to_email!r}: {exc}") from exc
        message["From"] = self.sender
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        for attachment in attachments:
            message.add_attachment(
                attachment.content,
                maintype=attachment.maintype,
                subtype=attachment.subtype,
                filename=attachment.filename,
            )
        return message

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
