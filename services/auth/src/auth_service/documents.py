"""Uploaded organizer documents: size-capped, non-empty, typed by their bytes.

``BodySizeLimit`` stops an oversized upload before it is parsed (the gateway caps the body at
6 MB, but the service must not trust that it is only reached through the gateway).
"""

from __future__ import annotations

from fastapi import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth_service.domain import DocumentInvalid, sniff_document_type
from auth_service.service import Document
from shared.errors import PayloadTooLarge, error_response

# Room for the form fields and the multipart framing around the document.
FORM_OVERHEAD_BYTES = 64 * 1024


async def read_document(upload: UploadFile | None, *, max_bytes: int) -> Document | None:
    """The upload's bytes and sniffed type; 413 when too large, 422 when empty or not a PDF,
    PNG or JPEG (whatever its name or declared content type say)."""
    if upload is None:
        return None
    content = await upload.read(max_bytes + 1)
    await upload.close()
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            f"The document must be at most {max_bytes} bytes.", details={"max_bytes": max_bytes}
        )
    if not content:
        raise DocumentInvalid("must not be empty", "empty_file")
    content_type = sniff_document_type(content[:16])
    if content_type is None:
        raise DocumentInvalid("must be a PDF, PNG or JPEG file", "file_type")
    return Document(content=content, content_type=content_type)


class BodySizeLimit:
    """Refuse a request body over ``max_bytes`` on paths ending with ``suffix`` (413)."""

    def __init__(self, app: ASGIApp, *, suffix: str, max_bytes: int) -> None:
        self.app = app
        self.suffix = suffix
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith(self.suffix):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    response = error_response(
                        413,
                        PayloadTooLarge.code,
                        "The request body is over the upload limit.",
                        {"max_bytes": self.max_bytes},
                    )
                    await response(scope, receive, send)
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, "The request body is over the upload limit.")
            return message

        await self.app(scope, counting_receive, send)
