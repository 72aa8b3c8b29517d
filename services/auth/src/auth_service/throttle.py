"""Sign-in throttling and email cool-downs in Redis (``auth:...`` keys, through ``prefixed``).

Per account (the typed email, hashed, so unknown emails are throttled exactly like real ones and
no address sits in Redis): progressive delays, never a lock. Failures are counted for the account
as a whole and for the account from each client address; each counter is forgotten
``LOGIN_ACCOUNT_WINDOW_SECONDS`` after its last failure. Once a counter reaches the free
failures, every failure starts a wait (a key that expires when the wait is over) that doubles
with each further failure, up to a cap: a small one for the account as a whole (what a stranger
can make the owner wait) and a large one for the address that keeps failing (what the stranger
waits). An attempt refused during a wait is not a failure: it checks no password.

Per client address: a hard limit of failures per fixed window, across accounts (a spray over
many accounts from one address). INCR then ``EXPIRE … NX`` is safe without a script: a crash
between the two leaves a counter without TTL only until the next failure sets it.

A success clears the account's counters and the caller's own, not another address's.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from auth_service.domain import (
    DelayLadder,
    ThrottleLimit,
    retry_after_seconds,
    throttle_retry_after,
)
from auth_service.settings import Settings
from shared.errors import RateLimited
from shared.redis import prefixed


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        free = settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
        base = settings.LOGIN_DELAY_BASE_SECONDS
        self.account_ladder = DelayLadder(free, base, settings.LOGIN_DELAY_MAX_SECONDS)
        self.client_ladder = DelayLadder(free, base, settings.LOGIN_CLIENT_DELAY_MAX_SECONDS)
        self.ip_limit = ThrottleLimit(
            settings.LOGIN_MAX_FAILURES_PER_IP, settings.LOGIN_IP_WINDOW_SECONDS
        )

    def _key(self, suffix: str) -> str:
        return prefixed(self.settings, f"auth:{suffix}")

    def _account_keys(self, email: str, ip: str | None) -> tuple[str, str, str, str]:
        """(account failures, account wait, client failures, client wait)."""
        account = _digest(email)
        client = f"{account}:{ip or 'unknown'}"
        return (
            self._key(f"login_failures:account:{account}"),
            self._key(f"login_wait:account:{account}"),
            self._key(f"login_failures:client:{client}"),
            self._key(f"login_wait:client:{client}"),
        )

    def _ip_key(self, ip: str | None) -> str:
        return self._key(f"login_failures:ip:{ip or 'unknown'}")

    async def check(self, *, email: str, ip: str | None) -> None:
        """Raise 429 (with Retry-After) while the account waits or the address is over its limit."""
        _, account_wait, _, client_wait = self._account_keys(email, ip)
        ip_key = self._ip_key(ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.pttl(account_wait)
            pipe.pttl(client_wait)
            pipe.get(ip_key)
            pipe.ttl(ip_key)
            account_ms, client_ms, ip_failures, ip_ttl = await pipe.execute()
        waits = [
            retry_after_seconds([int(account_ms), int(client_ms)]),
            throttle_retry_after([(int(ip_failures or 0), int(ip_ttl))], [self.ip_limit]),
        ]
        retry_after = max((w for w in waits if w is not None), default=None)
        if retry_after is not None:
            raise RateLimited(
                "Too many failed sign-in attempts; try again later.",
                retry_after=retry_after,
                details={"retry_after_seconds": retry_after},
            )

    async def failed(self, *, email: str, ip: str | None) -> None:
        """Count a failure and start the waits it earns."""
        account, account_wait, client, client_wait = self._account_keys(email, ip)
        ip_key = self._ip_key(ip)
        window = self.settings.LOGIN_ACCOUNT_WINDOW_SECONDS
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(account)
            pipe.expire(account, window)
            pipe.incr(client)
            pipe.expire(client, window)
            pipe.incr(ip_key)
            pipe.expire(ip_key, self.ip_limit.window_seconds, nx=True)
            account_failures, _, client_failures, _, _, _ = await pipe.execute()
        waits = [
            (account_wait, self.account_ladder.wait_after(int(account_failures))),
            (client_wait, self.client_ladder.wait_after(int(client_failures))),
        ]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, seconds in waits:
                if seconds > 0:
                    pipe.set(key, "1", px=max(1, round(seconds * 1000)))
            await pipe.execute()

    async def succeeded(self, *, email: str, ip: str | None) -> None:
        await self.redis.delete(*self._account_keys(email, ip))


class MailCooldown:
    """At most one email of each kind (verification, reset) per account per
    ``ACCOUNT_EMAIL_INTERVAL_SECONDS``."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

    async def claim(self, *, kind: str, email: str) -> bool:
        """True when no ``kind`` email went to this account within the cool-down (and claims
        it)."""
        seconds = self.settings.ACCOUNT_EMAIL_INTERVAL_SECONDS
        if seconds <= 0:
            return True
        key = prefixed(self.settings, f"auth:email_cooldown:{kind}:{_digest(email)}")
        return bool(await self.redis.set(key, "1", nx=True, ex=seconds))
