"""The README's settings table and the code agree: every top-level setting is documented
as its ``STORYREEL_*`` variable, and every ``STORYREEL_*`` variable the README or docs/
name is a real setting (a renamed field cannot leave a dead variable behind)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from storyreel.config import ProviderSettings, Settings

ROOT = Path(__file__).parent.parent
#: Read outside the settings on purpose: the test-only crash switch (before settings
#: exist), the PostgreSQL URL the test suite itself uses and the CI switch that makes
#: a missing chromium fail the browser tests.
NOT_SETTINGS = {"STORYREEL_CHAOS_CRASH", "STORYREEL_TEST_POSTGRES_URL", "STORYREEL_REQUIRE_BROWSER"}


def documentation() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def _resolves(parts: list[str], model: type[BaseModel]) -> bool:
    """Whether ``A__B__C`` names a field path under ``model`` (``<NAME>`` placeholders
    and provider names stand for any key of a dict of settings)."""
    if not parts:
        return True
    field = model.model_fields.get(parts[0].lower())
    if field is None:
        return False
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _resolves(parts[1:], annotation)
    if parts[0].lower() == "providers":  # dict[str, ProviderSettings]: any provider name
        return len(parts) < 3 or _resolves(parts[2:3], ProviderSettings)
    if parts[0].lower() == "options":  # provider options: typed per provider elsewhere
        return True
    return len(parts) == 1


def test_every_setting_is_documented() -> None:
    text = documentation()
    missing = [n for n in Settings.model_fields if f"STORYREEL_{n.upper()}" not in text]
    assert missing == []


def test_every_documented_variable_is_a_setting() -> None:
    named = set(re.findall(r"STORYREEL_[A-Z0-9_]*[A-Z0-9]", documentation())) - NOT_SETTINGS
    unknown = sorted(
        n for n in named if not _resolves(n.removeprefix("STORYREEL_").split("__"), Settings)
    )
    assert unknown == []
