"""The code's shape (issue 9, "One shape"): no source module over 400 lines, no function over
60, no ``assert`` used to narrow types in source (tests and test support aside). Run it alone to
see the figures: ``pytest tests/infra/test_infra_code_shape.py -q -s``."""

from __future__ import annotations

import ast
from pathlib import Path

from devstack.services import REPO_ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _sources() -> list[Path]:
    roots = [REPO_ROOT / "shared" / "src", REPO_ROOT / "devstack"]
    roots += sorted((REPO_ROOT / "services").glob("*/src"))
    return [p for root in roots for p in sorted(root.rglob("*.py")) if "testing" not in p.parts]


def test_no_module_over_400_lines_and_no_function_over_60_in_source() -> None:
    modules, functions, asserts = [], [], []
    for path in _sources():
        text = path.read_text()
        name = str(path.relative_to(REPO_ROOT))
        modules.append((len(text.splitlines()), name))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{name}:{node.lineno} {node.name}"))
            elif isinstance(node, ast.Assert):
                asserts.append(f"{name}:{node.lineno}")
    shape = f"{len(modules)} modules; largest {max(modules)}; longest function {max(functions)}"
    print("\n" + shape)  # noqa: T201 — the figures, with -s
    assert [m for m in modules if m[0] > MAX_MODULE_LINES] == []
    assert [f for f in functions if f[0] > MAX_FUNCTION_LINES] == []
    assert asserts == []
