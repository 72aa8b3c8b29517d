"""Input types every service uses, so hostile input is refused at the edge with a 422.

- :class:`Input`: the base of every request body model. It forbids unknown fields and refuses
  any string, however deeply nested, that carries a control character other than tab, line
  feed and carriage return — PostgreSQL cannot store NUL, and no field has a use for the rest.
- :data:`SingleLine` / :data:`MultiLine`: text types for fields and query parameters; a single
  line also refuses tab, line feed and carriage return.
- :data:`Timestamp`: an aware datetime between 1970 and 2100 (PostgreSQL and every consumer
  can represent it, and no event is sold outside it).
- :data:`CurrencyCode`: an active ISO 4217 code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    model_validator,
)

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)

# C0 and C1 control characters and DEL; lone surrogates can never be stored either.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def refuse_control_characters(value: str) -> str:
    """For one-line text: names, titles, emails, codes, search terms."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def refuse_control_except_whitespace(value: str) -> str:
    """For free text: descriptions and reasons may hold line breaks and tabs."""
    if _CONTROL_BUT_WHITESPACE.search(value):
        raise ValueError("must not contain control characters")
    return value


def within_supported_years(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 1970-01-01 and 2100-12-31 (UTC)")
    return value


SingleLine = Annotated[str, AfterValidator(refuse_control_characters)]
MultiLine = Annotated[str, AfterValidator(refuse_control_except_whitespace)]
Timestamp = Annotated[AwareDatetime, AfterValidator(within_supported_years)]


def _control_character_at(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (a JSON-like tree) a disallowed control character sits, if anywhere."""
    if isinstance(value, str):
        return path or "." if _CONTROL_BUT_WHITESPACE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = _control_character_at(key, path) or _control_character_at(
                item, f"{path}.{key}" if path else str(key)
            )
            if where:
                return where
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            where = _control_character_at(item, f"{path}.{index}" if path else str(index))
            if where:
                return where
    return None


class Input(BaseModel):
    """A request body: unknown fields are refused, and so is a control character anywhere.

    Typed fields (:data:`SingleLine`, :data:`MultiLine`) refuse control characters with an
    error naming the field; this model-wide check is the net under any field whose type
    forgot, so no future field can let a NUL reach PostgreSQL."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _no_control_characters(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        model = handler(data)
        where = _control_character_at(data)
        if where is not None:
            raise ValueError(f"{where}: must not contain control characters")
        return model


# Active ISO 4217 codes (funds and precious metals left out: nobody sells tickets in them).
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


def iso_4217(value: str) -> str:
    if value not in ISO_4217:
        raise ValueError("must be an ISO 4217 currency code such as USD or EUR")
    return value


CurrencyCode = Annotated[str, AfterValidator(iso_4217)]
