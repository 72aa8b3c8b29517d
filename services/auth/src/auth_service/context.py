"""What auth owns besides the shared connections: the token signer, the sign-in throttle and the
mail cool-down; built once at start-up, with the first admin and the revocation sweep."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_service import passwords, service
from auth_service.settings import Settings
from auth_service.throttle import LoginThrottle, MailCooldown
from auth_service.tokens import TokenSigner
from shared.contracts.auth import SessionRevokedV1
from shared.keys import load_private_key, load_public_key
from shared.revocation import RevocationSource
from shared.runtime import Runtime
from shared.security import TokenVerifier

# Expired revocations are only dead rows (the query skips them): sweeping them now and then is
# enough.
REVOCATION_PRUNE_SECONDS = 600.0


@dataclass(frozen=True)
class Context:
    settings: Settings
    signer: TokenSigner
    throttle: LoginThrottle
    mail_cooldown: MailCooldown
    sessionmaker: async_sessionmaker[AsyncSession]


def make_signer(settings: Settings) -> TokenSigner:
    """The current signing key plus the previous keys still published during a rollover."""
    return TokenSigner(
        load_private_key(settings.JWT_PRIVATE_KEY_PATH, create=settings.is_dev),
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
        ttl_seconds=settings.ACCESS_TOKEN_TTL_SECONDS,
        previous_keys=[load_public_key(path) for path in settings.previous_key_paths],
    )


def own_verifier(settings: Settings) -> TokenVerifier:
    """Auth verifies its own tokens with the very key set it publishes: no JWKS URL to fetch;
    ``build_context`` hands it the signer's keys before the app serves."""
    return TokenVerifier(
        issuer=settings.JWT_ISSUER,
        audience=settings.JWT_AUDIENCE,
        jwks={"keys": []},
        leeway=settings.JWT_LEEWAY_SECONDS,
    )


async def build_context(rt: Runtime[Settings, Context]) -> Context:
    """Load the signing keys, warm the password hasher, create the configured admin and register
    the revocation sweep."""
    settings = rt.settings
    signer = make_signer(settings)
    rt.verifier.set_jwks(signer.jwks)
    await passwords.warm_up()
    async with rt.sessionmaker() as session:
        await service.ensure_admin(
            session, email=settings.ADMIN_EMAIL, password=settings.ADMIN_PASSWORD.get_secret_value()
        )
    rt.every(REVOCATION_PRUNE_SECONDS, prune_revocations, name="auth-prune")
    return Context(
        settings=settings,
        signer=signer,
        throttle=LoginThrottle(rt.redis, settings),
        mail_cooldown=MailCooldown(rt.redis, settings),
        sessionmaker=rt.sessionmaker,
    )


async def prune_revocations(ctx: Context) -> None:
    async with ctx.sessionmaker() as session:
        await service.prune_revocations(session)


def revocation_source(rt: Runtime[Settings, Context]) -> RevocationSource:
    """Auth's own deny-list sync reads its table: it cannot call its own HTTP endpoint before
    it serves (the other services call ``GET /internal/revocations``)."""

    async def read() -> list[SessionRevokedV1]:
        async with rt.sessionmaker() as session:
            return await service.revocations_in_force(session)

    return read
