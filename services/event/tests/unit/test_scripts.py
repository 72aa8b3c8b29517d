"""The Lua scripts ship as files of the package, one per script, each after the shared prelude;
a script's refusal becomes the store's exception."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from typing import Any

import pytest

from event_service.holds import scripts
from event_service.holds.models import (
    AddressLimit,
    BuyerLimit,
    Cooldown,
    FactsStale,
    GeneralSoldOut,
    MirrorMissing,
    NoGroupFree,
    OrderLimit,
)
from event_service.holds.scripts import Scripts, source


def test_scripts_are_exactly_the_lua_files_when_the_package_is_read() -> None:
    lua = resources.files("event_service.holds") / "lua"
    files = {f.name.removesuffix(".lua") for f in lua.iterdir() if f.name.endswith(".lua")}

    assert files - {"prelude"} == {f.name for f in fields(Scripts)}


def test_a_script_starts_with_the_prelude_when_it_is_loaded() -> None:
    lua = resources.files("event_service.holds") / "lua"
    prelude = (lua / "prelude.lua").read_text()

    text = source("hold_seats")

    assert text == prelude + (lua / "hold_seats.lua").read_text()
    assert "local function refusal(" in prelude and "refusal(p, want" in text


@pytest.mark.parametrize(
    ("result", "error", "attributes"),
    [
        ([scripts.SEATS_TAKEN, "A-1", "A-2"], NoGroupFree, {"unavailable": ["A-1", "A-2"]}),
        ([scripts.MIRROR_MISSING], MirrorMissing, {}),
        ([scripts.STALE], FactsStale, {}),
        ([scripts.BUYER_LIMIT, 4], BuyerLimit, {"current": 4}),
        ([scripts.ORDER_LIMIT, 10], OrderLimit, {"limit": 10}),
        ([scripts.SOLD_OUT, 2], GeneralSoldOut, {"left": 2}),
        ([scripts.COOLDOWN, 1500], Cooldown, {"retry_ms": 1500}),
        ([scripts.ADDRESS_LIMIT, 20, 20], AddressLimit, {"current": 20, "limit": 20}),
    ],
)
def test_a_script_refusal_raises_its_exception_when_answered(
    result: list[Any], error: type[Exception], attributes: dict[str, Any]
) -> None:
    with pytest.raises(error) as raised:
        scripts.raise_refusal(int(result[0]), result)
    for name, value in attributes.items():
        assert getattr(raised.value, name) == value


def test_a_script_answer_is_an_error_when_its_code_is_unknown() -> None:
    with pytest.raises(RuntimeError, match="unexpected hold script answer"):
        scripts.raise_refusal(-99, [-99])
