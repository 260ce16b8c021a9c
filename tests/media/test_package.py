"""``storyreel.media`` names its helpers at the package level but loads each on first use
(``tests/cli/test_startup.py`` pins that a story run does not load PyAV for them)."""

from __future__ import annotations

from importlib import import_module

import pytest

import storyreel.media as media


@pytest.mark.parametrize("name", media.__all__)
def test_every_package_name_is_its_submodules_object(name: str) -> None:
    home = import_module(f"storyreel.media.{media._HOMES[name]}")
    assert getattr(media, name) is getattr(home, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'render_everything'"):
        _ = media.render_everything
