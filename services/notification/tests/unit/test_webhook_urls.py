"""Which webhook URLs may be called (server-side request forgery): https to public addresses
only — every address the host resolves to — unless WEBHOOK_ALLOW_PRIVATE (development)."""

from __future__ import annotations

import pytest

from notification_service.webhooks.signing import signature, verify
from notification_service.webhooks.urls import UrlNotAllowed, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # public, but not https
        "https://127.0.0.1/hook",
        "https://localhost/hook",  # resolves to loopback
        "https://10.1.2.3/hook",
        "https://192.168.0.10:8443/hook",
        "https://169.254.169.254/latest/meta-data",  # the cloud metadata address
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "https://user:secret@93.184.216.34/hook",  # credentials in the URL
        "ftp://93.184.216.34/hook",
        "https:///no-host",
        "https://93.184.216.34:99999/hook",  # no such port
        "https://no-such-host.invalid/hook",  # does not resolve
    ],
)
async def test_url_is_refused_when_not_https_to_a_public_address(url: str) -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        await resolve(url, allow_private=False)
    assert (refused.value.status_code, refused.value.code) == (422, "url_not_allowed")


async def test_public_https_url_is_pinned_to_its_checked_address() -> None:
    target = await resolve("https://93.184.216.34/hooks?x=1", allow_private=False)
    assert (target.url, target.host, target.host_header) == (
        "https://93.184.216.34:443/hooks?x=1", "93.184.216.34", "93.184.216.34",
    )  # fmt: skip


async def test_loopback_over_http_is_allowed_only_with_allow_private() -> None:
    target = await resolve("http://localhost:8099/in", allow_private=True)
    assert target.url in ("http://127.0.0.1:8099/in", "http://[::1]:8099/in")
    assert target.host_header == "localhost:8099"
    with pytest.raises(UrlNotAllowed):
        await resolve("http://localhost:8099/in", allow_private=False)


def test_signature_verifies_only_with_the_secret_the_body_and_a_fresh_timestamp() -> None:
    body = b'{"id":"d1","type":"booking.confirmed"}'
    header = signature("whsec_k", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("whsec_k", header, body, now=1_700_000_100)
    assert not verify("whsec_other", header, body, now=1_700_000_100)
    assert not verify("whsec_k", header, body + b" ", now=1_700_000_100)
    assert not verify("whsec_k", header, body, now=1_700_000_000 + 301)  # a replay, too late
    assert not verify("whsec_k", "v1=abc", body, now=1_700_000_000)
