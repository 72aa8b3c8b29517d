"""Sign-in throttling and email cool-downs in Redis (``auth:...`` keys, through ``prefixed``).

Fixed windows: the first failure starts a counter that expires after the window. Failures are
counted per account (the typed email, hashed, so unknown emails are throttled exactly like real
ones and no address sits in Redis) and per client IP. A success clears the account counter.
INCR then ``EXPIRE … NX`` is safe without a script: a crash between the two leaves a counter
without TTL only until the next failure sets it, and the two keys may live in different slots.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from auth_service.domain import ThrottleLimit, throttle_retry_after
from auth_service.settings import Settings
from shared.errors import RateLimited
from shared.redis import prefixed


def _email_key(settings: Settings, email: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return prefixed(settings, f"auth:login_failures:account:{digest}")


def _ip_key(settings: Settings, ip: str) -> str:
    return prefixed(settings, f"auth:login_failures:ip:{ip}")


class LoginThrottle:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.limits = [
            ThrottleLimit(
                settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, settings.LOGIN_ACCOUNT_WINDOW_SECONDS
            ),
            ThrottleLimit(settings.LOGIN_MAX_FAILURES_PER_IP, settings.LOGIN_IP_WINDOW_SECONDS),
        ]

    def _keys(self, email: str, ip: str | None) -> list[str]:
        return [_email_key(self.settings, email), _ip_key(self.settings, ip or "unknown")]

    async def check(self, *, email: str, ip: str | None) -> None:
        """Raise 429 (with Retry-After) while the account or the IP is over its limit."""
        keys = self._keys(email, ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            values = await pipe.execute()
        counts = [(int(values[i] or 0), int(values[i + 1])) for i in (0, 2)]
        retry_after = throttle_retry_after(counts, self.limits)
        if retry_after is not None:
            raise RateLimited(
                "Too many failed sign-in attempts; try again later.",
                retry_after=retry_after,
                details={"retry_after_seconds": retry_after},
            )

    async def failed(self, *, email: str, ip: str | None) -> None:
        keys = self._keys(email, ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, limit in zip(keys, self.limits, strict=True):
                pipe.incr(key)
                pipe.expire(key, limit.window_seconds, nx=True)
            await pipe.execute()

    async def succeeded(self, *, email: str) -> None:
        await self.redis.delete(_email_key(self.settings, email))


async def claim_email_slot(redis: Redis, settings: Settings, *, purpose: str, email: str) -> bool:
    """True when no ``purpose`` email went to this account within the cool-down (and claims it)."""
    if settings.ACCOUNT_EMAIL_INTERVAL_SECONDS <= 0:
        return True
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    key = prefixed(settings, f"auth:email_cooldown:{purpose}:{digest}")
    return bool(await redis.set(key, "1", nx=True, ex=settings.ACCOUNT_EMAIL_INTERVAL_SECONDS))
