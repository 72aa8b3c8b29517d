"""Cost of one password hash / verification and of one access-token verification.

    PYTHONPATH=. .venv/bin/python services/auth/bench/micro.py

Not a test: prints milliseconds per argon2id hash/verify (the service's own parameters) and
microseconds per ``shared.security.TokenVerifier.verify`` on a valid token.
"""

from __future__ import annotations

import asyncio
import sys
import time
import timeit
import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth_service import passwords
from auth_service.tokens import TokenSigner
from shared.security import TokenVerifier


def bench_passwords(rounds: int = 30) -> None:
    hashed = passwords.hash_password_sync("correct horse battery")
    hash_s = min(
        timeit.repeat(lambda: passwords.hash_password_sync("x" * 16), number=rounds, repeat=3)
    )
    verify_s = min(
        timeit.repeat(
            lambda: passwords.verify_password_sync(hashed, "correct horse battery"),
            number=rounds,
            repeat=3,
        )
    )
    sys.stdout.write(
        f"argon2id m={passwords.MEMORY_COST_KIB} KiB t={passwords.TIME_COST} "
        f"p={passwords.PARALLELISM}: hash {hash_s / rounds * 1000:.1f} ms, "
        f"verify {verify_s / rounds * 1000:.1f} ms (one core)\n"
    )


async def bench_token(rounds: int = 3_000) -> None:
    signer = TokenSigner(
        Ed25519PrivateKey.generate(), issuer="ticketing-auth", audience="ticketing", ttl_seconds=900
    )

    def mint() -> str:
        return signer.mint(
            user_id=uuid.uuid4(), email="bench@example.test", role="customer", now=datetime.now(UTC)
        ).token

    tokens = [mint() for _ in range(rounds)]
    first = float("inf")
    for _ in range(3):  # a fresh verifier each time: every token is new to it
        verifier = TokenVerifier(issuer="ticketing-auth", audience="ticketing", jwks=signer.jwks)
        started = time.perf_counter()
        for token in tokens:
            await verifier.verify(token)
        first = min(first, time.perf_counter() - started)
    started = time.perf_counter()
    for token in tokens:  # the same tokens again: answered from the verified-token cache
        await verifier.verify(token)
    again = time.perf_counter() - started
    sys.stdout.write(
        f"TokenVerifier.verify (EdDSA): first sight {first / rounds * 1e6:.1f} µs, "
        f"seen before {again / rounds * 1e6:.1f} µs per call\n"
    )


if __name__ == "__main__":
    bench_passwords()
    asyncio.run(bench_token())
