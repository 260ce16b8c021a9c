"""What every browser test checks on a page: screenshots at a phone and a desktop width
(saved as test artifacts), no horizontal overflow, the stylesheet applied, and no serious
accessibility violation found by axe-core (vendored in tests/web/assets)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "assets" / "axe-4.14.1.min.js"
WIDTHS = (1440, 390)
SERIOUS = {"serious", "critical"}
SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
"""Two animation frames: the resize has been laid out and painted (no style or script of
the UI reacts to a resize later than that; a fixed sleep only cost time)."""


def artifacts_dir() -> Path:
    path = Path(os.environ.get("STORYREEL_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def snap(
    page: Page, name: str, *, widths: tuple[int, ...] = WIDTHS, full_page: bool = True
) -> list[Path]:
    """Screenshot ``page`` at each width (the full page, or with ``full_page=False`` the
    viewport) and fail on an unstyled page or one wider than the viewport (content cut
    off or overlapping on a phone). A full-page shot grows the viewport to the page for a
    moment, which reveals what scrolling would (an infinite list's next batch)."""
    height = page.viewport_size["height"] if page.viewport_size else 900
    saved = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate(SETTLED)  # the layout at the new width, painted
        styled = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--sr-loaded').trim()"
        )
        assert styled == "1", f"{name}: the stylesheet did not apply"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} at {width}px is {overflow}px wider than the screen"
        path = artifacts_dir() / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}-{width}.png"
        page.screenshot(path=str(path), full_page=full_page)
        saved.append(path)
    page.set_viewport_size({"width": WIDTHS[0], "height": height})
    return saved


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
          }));
        }"""
    )
    return [v for v in violations if v["impact"] in SERIOUS]


def check_accessible(page: Page) -> None:
    serious = axe_violations(page)
    assert not serious, "accessibility: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']}" for v in serious
    )
