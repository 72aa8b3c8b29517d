"""Which webhook URLs may be called — the server-side request forgery rules.

Only ``https://`` to public addresses: every address the host resolves to must be global
(no loopback, private, link-local, multicast, reserved or unspecified address, IPv4-mapped
ones included). The check runs when a webhook is registered and again on every attempt, and
the attempt connects to the very address that was checked (the host stays in the Host header
and TLS's SNI), so a DNS answer that changes in between (rebinding) gains nothing; redirects are
never followed. ``WEBHOOK_ALLOW_PRIVATE`` (development only) also allows ``http://`` and private
and loopback addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from shared.errors import DomainError


class UrlNotAllowed(DomainError):
    status_code, code = 422, "url_not_allowed"
    message = "Webhook URLs must be https:// to a public address."


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt goes: ``url`` with the checked address in place of the host."""

    url: str
    host: str  # for TLS's SNI (and the certificate's name)
    host_header: str  # the host, with the port unless it is the scheme's own


def _parts(url: str, allow_private: bool) -> tuple[str, str, int]:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError as exc:
        raise UrlNotAllowed("The webhook URL is not a valid URL.") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if split.scheme not in schemes or not split.hostname:
        raise UrlNotAllowed()
    if split.username or split.password:
        raise UrlNotAllowed("Webhook URLs may not carry credentials.")
    return split.scheme, split.hostname, port or (443 if split.scheme == "https" else 80)


def _allowed(address: str, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL checked and pinned to the first of its addresses (all of which must pass);
    UrlNotAllowed otherwise (also when the host does not resolve)."""
    scheme, host, port = _parts(url, allow_private)
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlNotAllowed(f"The webhook URL's host {host!r} does not resolve.") from exc
    addresses = [str(info[4][0]) for info in found]
    if not addresses or not all(_allowed(a, allow_private) for a in addresses):
        raise UrlNotAllowed()
    split = urlsplit(url)
    pinned = addresses[0]
    literal = f"[{pinned}]" if ":" in pinned else pinned
    netloc = f"{literal}:{port}"
    default = port == (443 if scheme == "https" else 80)
    header = host if default else f"{host}:{port}"
    return Target(urlunsplit((scheme, netloc, split.path or "/", split.query, "")), host, header)
