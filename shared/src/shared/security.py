"""Access-token verification (never issuing: only auth holds a private key).

Tokens are EdDSA (Ed25519) JWTs with ``kid``; keys come from auth's JWKS, cached and refreshed
when an unknown ``kid`` appears (at most once per ``_REFRESH_FLOOR`` seconds). The algorithm is
pinned: the token's own ``alg`` header is checked, never trusted.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

import httpx2
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import (
    Forbidden,
    TokenExpired,
    TokenRevoked,
    Unauthorized,
    UpstreamUnavailable,
)
from shared.logging import get_logger
from shared.revocation import RevocationList
from shared.settings import ServiceSettings

ALGORITHM = "EdDSA"
ROLES = ("customer", "organizer", "admin")
_REFRESH_FLOOR = 10.0
_VERIFIED_CACHE_SIZE = 4096

log = get_logger("shared.security")


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller."""

    id: uuid.UUID
    email: str
    role: str
    token_id: str
    session_id: str | None = None
    email_verified: bool = False
    # the user's full name as auth knew it when it minted the token ("" in tokens without one)
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenVerifier:
    """Verifies access tokens against a JWKS fetched from auth (or given, for auth itself)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        jwks: dict[str, Any] | None = None,
        cache_seconds: float = 300,
        leeway: float = 10,
        http: httpx2.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.cache_seconds = cache_seconds
        self.leeway = leeway
        self._http = http
        self._keys: dict[str, Any] = {}
        # token → (principal, exp, kid): a token already verified is not verified again until it
        # expires, as long as the key that signed it is still published
        self._verified: OrderedDict[str, tuple[Principal, float, str]] = OrderedDict()
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        # sessions ended before their access tokens expire (logout, disable, role change, …)
        self.revocations = RevocationList()
        if jwks is not None:
            self._load(jwks)
            self._fetched_at = float("inf") if jwks_url is None else time.monotonic()

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, http: httpx2.AsyncClient | None = None
    ) -> TokenVerifier:
        static = json.loads(settings.JWKS_JSON) if settings.JWKS_JSON else None
        return cls(
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            jwks_url=None if static else settings.JWKS_URL,
            jwks=static,
            cache_seconds=settings.JWKS_CACHE_SECONDS,
            leeway=settings.JWT_LEEWAY_SECONDS,
            http=http,
        )

    def set_jwks(self, jwks: dict[str, Any]) -> None:
        """Replace the key set (auth calls this when it rotates its own keys)."""
        self._load(jwks)

    def _load(self, jwks: dict[str, Any]) -> None:
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "kid" not in jwk:
                continue
            keys[jwk["kid"]] = jwt.PyJWK.from_dict(jwk, algorithm=ALGORITHM).key
        self._keys = keys

    async def _refresh(self, *, force: bool) -> None:
        if self.jwks_url is None:
            return
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (force and age < _REFRESH_FLOOR) or (not force and age < self.cache_seconds):
                return
            try:
                if self._http is not None:
                    response = await self._http.get(self.jwks_url, timeout=3)
                else:
                    async with httpx2.AsyncClient(timeout=3) as client:
                        response = await client.get(self.jwks_url)
                response.raise_for_status()
                self._load(response.json())
                self._fetched_at = time.monotonic()
            except (httpx2.HTTPError, ValueError) as exc:
                log.warning("jwks_fetch_failed", url=self.jwks_url, error=str(exc))
                if not self._keys:
                    raise UpstreamUnavailable("Cannot fetch signing keys from auth.") from exc

    async def verify(self, token: str) -> Principal:
        principal = await self._verified_principal(token)
        if principal.session_id is not None and self.revocations.is_revoked(principal.session_id):
            raise TokenRevoked()
        return principal

    async def _verified_principal(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            await self._refresh(force=False)  # a key dropped from auth's JWKS ends its tokens
            principal, expires, kid = cached
            if time.time() < expires + self.leeway and kid in self._keys:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires, kid = await self._verify(token)
        self._verified[token] = (principal, expires, kid)
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("The access token uses an algorithm we do not accept.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("The access token has no key id.")
        await self._refresh(force=False)
        key = self._keys.get(kid)
        if key is None:
            await self._refresh(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The access token was signed with an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is not valid.") from exc
        return _principal(claims), float(claims["exp"]), kid


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthorized("The access token is not valid.") from exc
    role = claims.get("role")
    email = claims.get("email")
    session_id = claims.get("sid")
    name = claims.get("name", "")
    if (
        role not in ROLES
        or not isinstance(email, str)
        or not isinstance(session_id, str | None)
        or not isinstance(name, str)
    ):
        raise Unauthorized("The access token is not valid.")
    return Principal(
        id=user_id,
        email=email,
        role=role,
        token_id=str(claims["jti"]),
        session_id=session_id,
        email_verified=claims.get("email_verified") is True,
        name=name,
    )


_bearer = HTTPBearer(auto_error=False)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer access token is required.")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


class RoleCheck:
    """A dependency that lets only the given roles through (403 otherwise); OpenAPI reads
    ``roles`` to document the 403."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, user: CurrentUser) -> Principal:
        if user.role not in self.roles:
            raise Forbidden(f"This needs the role {' or '.join(self.roles)}.")
        return user


def require_roles(*roles: str) -> Any:
    """``Annotated[Principal, require_roles("admin")]``."""
    return Depends(RoleCheck(*roles))


def roles_required_by(call: object) -> tuple[str, ...]:
    """The roles a dependency made by :func:`require_roles` lets through (none otherwise)."""
    return call.roles if isinstance(call, RoleCheck) else ()


AdminUser = Annotated[Principal, require_roles("admin")]
OrganizerUser = Annotated[Principal, require_roles("organizer", "admin")]

INTERNAL_TOKEN_HEADER = "X-Internal-Token"


async def require_internal(request: Request) -> None:
    """Internal endpoints need the shared internal credential (the gateway refuses them too)."""
    settings: ServiceSettings = request.app.state.settings
    given = request.headers.get(INTERNAL_TOKEN_HEADER, "")
    expected = settings.INTERNAL_TOKEN.get_secret_value()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Internal credential missing or wrong.")


InternalCaller = Depends(require_internal)
