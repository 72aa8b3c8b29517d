"""The published language between services: one module per producer.

``REGISTRY`` maps a routing key (``booking.confirmed``) to its contract class.
"""

from shared.contracts import auth, booking, event, payment
from shared.contracts.base import REGISTRY, Contract

__all__ = ["REGISTRY", "Contract", "auth", "booking", "event", "payment"]
