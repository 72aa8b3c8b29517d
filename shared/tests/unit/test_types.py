"""Shared input types refuse what PostgreSQL or a reader cannot take."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.types import CurrencyCode, Input, MultiLine, SingleLine, Timestamp


class _Form(Input):
    name: SingleLine
    notes: MultiLine = ""
    at: Timestamp | None = None
    currency: CurrencyCode = "USD"
    free: str = ""  # a field whose author forgot the text types


def test_sane_values_pass_when_within_bounds() -> None:
    form = _Form(
        name="Zoë ‮",
        notes="a\nb\tc\r\n",
        at=datetime.fromisoformat("2100-12-31T23:00:00+00:00"),
        currency="EUR",
    )
    assert form.name == "Zoë ‮"


@pytest.mark.parametrize(
    "values",
    [
        {"name": "a\x00"},
        {"name": "a\nb"},
        {"name": "ok", "notes": "\x1b"},
        {"name": "ok", "at": "0001-01-01T00:00:00+14:00"},
        {"name": "ok", "at": "2101-01-01T00:00:01+00:00"},
        {"name": "ok", "currency": "ZZZ"},
        {"name": "ok", "currency": "usd"},
        {"name": "ok", "free": "hidden \x00 nul"},
        {"name": "ok", "unknown": 1},
    ],
)
def test_form_is_refused_when_a_value_is_hostile(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _Form.model_validate(values)


def test_net_names_the_field_when_an_untyped_field_holds_a_control_character() -> None:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate({"name": "ok", "free": "x\x07"})
    assert "free: must not contain control characters" in str(caught.value)


def test_plain_models_are_unaffected_when_not_inputs() -> None:
    class Reply(BaseModel):
        text: str

    assert Reply(text="\x00").text == "\x00"
