"""The base of every message contract: frozen data, tolerant of fields it does not know."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

REGISTRY: dict[str, type[Contract]] = {}


class Contract(BaseModel):
    """A fact one service tells the others. ``TYPE`` is the routing key; changes are additive."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        message_type = cls.__dict__.get("TYPE")
        if message_type:
            if message_type in REGISTRY:
                raise TypeError(f"two contracts for {message_type}")
            REGISTRY[message_type] = cls


class InternalBody(BaseModel):
    """A request or answer body of an ``/internal/...`` call: versioned like a message, frozen,
    tolerant of fields it does not know (the producer may add optional ones)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
