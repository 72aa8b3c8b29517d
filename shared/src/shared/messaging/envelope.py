"""The envelope every message travels in (DESIGN.md, "Messaging")."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from shared.contracts import REGISTRY, Contract
from shared.db import utcnow

C = TypeVar("C", bound=Contract)


class PoisonMessage(ValueError):
    """A message no retry can fix: not JSON, unknown type, or data that breaks its contract."""


@dataclass(frozen=True, slots=True)
class Envelope(Generic[C]):
    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    producer: str
    correlation_id: str | None
    data: C

    @classmethod
    def wrap(cls, data: C, *, producer: str, correlation_id: str | None = None) -> Envelope[C]:
        return cls(
            id=uuid.uuid4(),
            type=data.TYPE,
            version=data.VERSION,
            occurred_at=utcnow(),
            producer=producer,
            correlation_id=correlation_id,
            data=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "data": self.data.model_dump(mode="json"),
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, body: bytes) -> Envelope[Contract]:
        try:
            raw = json.loads(body)
            contract = REGISTRY[raw["type"]]
            if int(raw.get("version", 1)) != contract.VERSION:
                raise PoisonMessage(f"unsupported version {raw.get('version')} of {raw['type']}")
            return Envelope(
                id=uuid.UUID(raw["id"]),
                type=raw["type"],
                version=contract.VERSION,
                occurred_at=datetime.fromisoformat(raw["occurred_at"]),
                producer=str(raw.get("producer", "")),
                correlation_id=raw.get("correlation_id"),
                data=contract.model_validate(raw["data"]),
            )
        except PoisonMessage:
            raise
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise PoisonMessage(f"cannot read message: {exc}") from exc
