"""Every runtime dependency in pyproject.toml is imported somewhere in the package: a
declared-but-unused one (as ``stamina`` was) costs every install and misleads readers."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import storyreel

ROOT = Path(storyreel.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"

#: Used without an ``import`` of their own: database drivers SQLAlchemy loads by URL.
USED_INDIRECTLY = {"aiosqlite", "psycopg"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=~!;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_distributions() -> set[str]:
    """The distributions that provide a top-level module some storyreel file imports."""
    modules: set[str] = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    providers = packages_distributions()
    return {
        dist.lower().replace("_", "-") for module in modules for dist in providers.get(module, [])
    }


def test_every_declared_dependency_is_used() -> None:
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    used = imported_distributions() | USED_INDIRECTLY
    assert sorted({_name(req) for req in declared} - used) == []
