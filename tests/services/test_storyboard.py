"""The storyboard's reading side (``services/storyboard.py``): the exports a finished run
lists, a card's cost, an unknown shot in words, a story never run. The board of a real
run, candidates and finalized shots are covered by ``tests/web/pages/test_storyboard.py``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.errors import NotFound
from storyreel.services import stories
from storyreel.services.storyboard import Board, Card, Export, Media, exports, storyboard
from tests.api.conftest import api_settings, running_api
from tests.api.routes.conftest import STORY


def _card(number: int, panel: Decimal | None, clip: Decimal | None) -> Card:
    def media(cost: Decimal | None) -> Media:
        return Media("01J0", "succeeded", "a" * 64, True, cost)

    return Card(number, "a kite", [], "", "", media(panel), media(clip), None, [], [], 1, False)


def test_exports_follow_the_manifest(tmp_path: Path) -> None:
    folder = stories.StoryFolder("f" * 32, tmp_path)
    assert exports(folder) == [], "no run finished yet"
    folder.out_dir.mkdir()
    manifest = {
        "video": {"file": "story.mp4"},
        "storyboard_pdf": {"file": "storyboard.pdf"},
        "webtoon": [{"file": "webtoon/part_01.png"}, {"file": "webtoon/part_02.png"}],
        "contact_sheet": {"file": "contact_sheet.png"},
    }
    (folder.out_dir / "manifest.json").write_text(json.dumps(manifest))
    assert exports(folder) == [
        Export("Video (MP4)", "story.mp4"),
        Export("Storyboard (PDF)", "storyboard.pdf"),
        Export("Webtoon strip part 1 of 2", "webtoon/part_01.png"),
        Export("Webtoon strip part 2 of 2", "webtoon/part_02.png"),
        Export("Contact sheet", "contact_sheet.png"),
    ]
    (folder.out_dir / "manifest.json").write_text(json.dumps(manifest | {"storyboard_pdf": None}))
    assert "storyboard.pdf" not in [e.file for e in exports(folder)]


def test_a_cards_cost_is_its_panel_and_clip() -> None:
    assert _card(1, Decimal("0.04"), Decimal("0.5")).cost_usd == Decimal("0.54")
    assert _card(1, Decimal("0.04"), None).cost_usd == Decimal("0.04")
    assert _card(1, None, None).cost_usd is None


def test_an_unknown_shot_is_not_found_in_words() -> None:
    board = Board("f" * 32, "Kites", {"state": "succeeded"}, [_card(1, None, None)])
    assert board.card(1).number == 1
    with pytest.raises(NotFound, match="has no shot 3 \\(it has shots 1-1\\)"):
        board.card(3)
    with pytest.raises(NotFound, match="has no shot 1 yet: run it first"):
        Board("f" * 32, "Kites", None, []).card(1)


async def test_a_story_never_run_has_an_empty_board(tmp_path: Path) -> None:
    async with running_api(api_settings(tmp_path)) as (_client, state):
        raw = STORY | {"render": STORY["render"] | {"draft_model": "sketch:previz"}}
        story_id = stories.create_story(state.settings, raw, name="s.json")
        folder = stories.story_folder(state.settings, story_id)
        board = await storyboard(state.settings, state.rt, folder)
    assert (board.title, board.cards, board.run, board.has_draft) == ("Two shots", [], None, True)
    assert not board.running and board.exports == []
