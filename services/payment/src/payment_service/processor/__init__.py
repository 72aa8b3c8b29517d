"""Card processors: the port (:mod:`.base`) and its implementations, chosen by a setting.

``PAYMENT_PROCESSOR`` names the implementation. Adding a real provider means a module
``processor/<provider>.py`` with a class that satisfies :class:`PaymentProcessor` (passing the
idempotency keys through to the provider's API) and one entry in :data:`PROCESSORS`.
"""

from __future__ import annotations

from collections.abc import Callable

from payment_service.domain import ProcessorUnavailable, ProcessorUnknown
from payment_service.processor.base import Card, ChargeResult, PaymentProcessor, RefundResult
from payment_service.processor.simulated import SimulatedProcessor
from payment_service.settings import Settings

__all__ = [
    "PROCESSORS",
    "Card",
    "ChargeResult",
    "PaymentProcessor",
    "ProcessorUnavailable",
    "ProcessorUnknown",
    "RefundResult",
    "SimulatedProcessor",
    "build_processor",
]


def _simulated(_settings: Settings) -> PaymentProcessor:
    return SimulatedProcessor()


# name → factory (a real provider's factory reads its credentials from Settings).
PROCESSORS: dict[str, Callable[[Settings], PaymentProcessor]] = {"simulated": _simulated}


def build_processor(settings: Settings) -> PaymentProcessor:
    """The processor ``settings.PAYMENT_PROCESSOR`` names."""
    try:
        factory = PROCESSORS[settings.PAYMENT_PROCESSOR]
    except KeyError:
        known = ", ".join(sorted(PROCESSORS))
        raise ProcessorUnknown(
            f"PAYMENT_PROCESSOR={settings.PAYMENT_PROCESSOR!r} is not one of: {known}"
        ) from None
    return factory(settings)
