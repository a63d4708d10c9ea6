"""The rl package's folders import one way: acting uses search uses game, never back; and
the searches are functions of positions: no search module imports the real game."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RL = Path(__file__).parents[1] / "src" / "alphatriangle" / "rl"
ABOVE = {
    "game": {"search", "acting", "evaluation"},
    "search": {"acting", "evaluation"},
    "acting": {"evaluation"},
}
"""Folder -> the folders (and their users) it must not import."""


def imported_folders(path: Path) -> set[str]:
    """The rl folders a module imports, relative (`from ..search import x`) or absolute."""
    folders = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if node.level == 2 or parts[:2] == ["alphatriangle", "rl"]:
                folders.add(parts[0] if node.level == 2 else parts[2] if len(parts) > 2 else "")
    return folders


@pytest.mark.parametrize("folder", sorted(ABOVE))
def test_a_folder_never_imports_one_above_it(folder: str) -> None:
    modules = sorted((RL / folder).glob("*.py"))
    assert modules
    for module in modules:
        upward = imported_folders(module) & ABOVE[folder]
        assert not upward, f"{module.name} imports {sorted(upward)}"


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, absolute imports only."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            packages.add(node.module.split(".")[0])
    return packages


def test_no_search_module_imports_the_engine() -> None:
    """The searches take root arrays and return moves: the lockstep loop in `acting` owns
    the real trianglengin games, and only the game folder's bridge reads them."""
    modules = sorted((RL / "search").glob("*.py"))
    assert modules
    for module in modules:
        engine = imported_packages(module) & {"trianglengin"}
        assert not engine, f"{module.name} imports trianglengin"
