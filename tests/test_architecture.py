"""The rules of ARCHITECTURE.md that code can check: bot/ (and nlu/) never import the adapters or the
program, so the brain stays channel-free and testable without any of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("webhooks", "admin_api", "sixtcap")  # the packages that import bot/, never the other way round


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["bot", "nlu"])
def test_the_brain_never_imports_the_adapters(package: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported_modules(path))
        if name.split(".")[0] in OUTSIDE
    ]
    assert offending == [], "bot/ and nlu/ must not import webhooks/, admin_api/ or sixtcap/"


def test_the_check_sees_imports_anywhere_in_a_module(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("def late():\n    from webhooks.telegram import render\n    import sixtcap.app\n")
    assert imported_modules(module) == {"webhooks.telegram", "sixtcap.app"}
