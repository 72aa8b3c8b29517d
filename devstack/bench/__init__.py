"""`make bench` (see harness.py); the k6 scripts live in k6/."""

from devstack.bench.harness import main

__all__ = ["main"]
