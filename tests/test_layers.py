"""The layer rules of ARCHITECTURE.md, checked on every import statement in the package
(module level and inside functions alike): cli/api/web -> services -> story -> engine ->
providers, the shared vocabulary below them all, and store and media beneath everything
that runs jobs. A new import that crosses a layer the wrong way fails here, naming the line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import storyreel

ROOT = Path(storyreel.__file__).parent
TOP = {"cli", "api", "web", "services"}

#: package -> the storyreel packages it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "vocabulary": {"catalog", "engine", "story", "providers", "store", "media", "config"} | TOP,
    "errors": {"catalog", "engine", "story", "providers", "store", "media", "vocabulary"} | TOP,
    "ids": {"catalog", "engine", "story", "providers", "store", "media", "vocabulary"} | TOP,
    "config": {"catalog", "engine", "story", "providers", "store", "media"} | TOP,
    "providers": {"catalog", "engine", "story", "testing"} | TOP,
    "store": {"catalog", "engine", "story", "providers", "testing"} | TOP,
    "media": {"catalog", "engine", "story", "providers", "store", "testing"} | TOP,
    "catalog": {"engine", "story", "store", "media", "testing"} | TOP,
    "engine": {"story"} | TOP,
    "story": TOP,
    "bulk": {"story"} | TOP,
}

#: the only provider modules the catalog may read: the outcome types it bills from.
CATALOG_MAY_READ = {"storyreel.providers.types"}


def _imports(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every storyreel import in ``path``."""
    here = ("storyreel", *path.relative_to(root).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join((*base, node.module) if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            # ``from storyreel import engine`` imports the package named in the alias
            if module == "storyreel":
                for alias in node.names:
                    yield node.lineno, f"storyreel.{alias.name}"


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        package = path.relative_to(root).with_suffix("").parts[0]
        banned = FORBIDDEN.get(package, set())
        for line, module in _imports(path, root):
            parts = module.split(".")
            if parts[0] != "storyreel" or len(parts) < 2:
                continue
            target = parts[1]
            where = f"{path.relative_to(root.parent)}:{line} imports {module}"
            catalog_reads_provider = package == "catalog" and target == "providers"
            if target in banned or (catalog_reads_provider and module not in CATALOG_MAY_READ):
                found.append(where)
    return found


def test_no_import_crosses_a_layer_the_wrong_way() -> None:
    assert violations() == []


def test_the_check_catches_a_wrong_way_import(tmp_path: Path) -> None:
    """The checker itself: a provider that reads the catalog (the old cycle) and a store
    module that imports the engine lazily inside a function are both reported."""
    fake = tmp_path / "storyreel"
    (fake / "providers").mkdir(parents=True)
    (fake / "store").mkdir()
    (fake / "providers" / "x.py").write_text("from storyreel.catalog.pricing import megapixels\n")
    (fake / "store" / "y.py").write_text("def f():\n    from ..engine import jobs\n")
    (fake / "store" / "z.py").write_text("from storyreel import story\n")
    found = violations(fake)
    assert any("providers/x.py:1 imports storyreel.catalog" in v for v in found)
    assert any("store/y.py:2 imports storyreel.engine" in v for v in found)
    assert any("store/z.py:1 imports storyreel.story" in v for v in found)
