"""``make chaos``: faults injected while purchases run through the gateway, then the
invariants read from every service's database and the broker (``run.py``)."""
