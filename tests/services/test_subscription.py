"""Pay per use against the catalog's plans, checked by hand against seed 000's numbers:
150 images at $0.03 and 100 videos at $0.20 are $24.50 a story; ModelsLab's plan is $199 a
month; 8 stories cost $196 (pay per use is cheaper), 9 cost $220.50 (the plan is)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.catalog import Catalog
from storyreel.config import Settings
from storyreel.errors import InputError, NotFound
from storyreel.services.stories import create_story
from storyreel.services.subscription import (
    compare,
    load_choice,
    pays_off_from,
    plans,
    story_choices,
    story_cost,
    unit_price,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_seed_000_for_ten_stories_a_month(catalog: Catalog) -> None:
    result = compare(catalog, stories_per_month=10, images_per_story=150, videos_per_story=100)
    assert (result.image_usd, result.video_usd) == (Decimal("0.03"), Decimal("0.20"))
    assert result.per_story_usd == Decimal("24.50")
    assert result.pay_per_use_usd == Decimal("245.000000")
    [modelslab] = result.verdicts
    assert (modelslab.provider, modelslab.plan.plan) == ("modelslab", "Unlimited Premium")
    assert modelslab.plan.monthly_usd == Decimal("199")
    assert modelslab.break_even == Decimal("8.122449")  # 199 / 24.5, to the millionth
    assert modelslab.pays_off_from == 9
    assert (modelslab.cheaper, modelslab.saving_usd) == ("subscription", Decimal("46.000000"))
    assert modelslab.words == (
        "The Unlimited Premium plan (modelslab, $199.00/month) pays off from 9 stories a month"
    )


def test_below_the_break_even_pay_per_use_is_cheaper(catalog: Catalog) -> None:
    eight = compare(catalog, stories_per_month=8, images_per_story=150, videos_per_story=100)
    assert eight.pay_per_use_usd == Decimal("196.000000")
    assert (eight.verdicts[0].cheaper, eight.verdicts[0].saving_usd) == (
        "pay-per-use",
        Decimal("3.000000"),
    )


def test_pays_off_from_is_the_first_month_the_plan_is_strictly_cheaper() -> None:
    assert pays_off_from(Decimal("24.50"), Decimal("199")) == 9
    assert pays_off_from(Decimal("19.90"), Decimal("199")) == 11  # 10 x 19.90 = 199: a tie
    assert pays_off_from(Decimal("300"), Decimal("199")) == 1
    assert pays_off_from(Decimal("0"), Decimal("199")) is None


def test_a_free_story_never_pays_off(catalog: Catalog) -> None:
    result = compare(catalog, stories_per_month=5, images_per_story=0, videos_per_story=0)
    assert result.verdicts[0].pays_off_from is None
    assert "never pays off" in result.verdicts[0].words


def test_plans_and_unit_prices_come_from_the_catalog(catalog: Catalog) -> None:
    assert [(p, rule.plan, rule.monthly_usd) for p, rule in plans(catalog)] == [
        ("modelslab", "Unlimited Premium", Decimal("199"))
    ]
    entry, usd = unit_price(catalog, "kling", "video")
    assert entry.provider == "fal" and usd == Decimal("0.35")  # seed 004: 5 s on Kling
    with pytest.raises(InputError, match="does not make videos"):
        unit_price(catalog, "kie:seedream/4.5-edit", "video")
    with pytest.raises(InputError, match="cannot be negative"):
        compare(catalog, stories_per_month=-1, images_per_story=1, videos_per_story=1)


def test_a_storys_plan_and_its_own_cost(catalog: Catalog, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert ("example:lighthouse", "example: lighthouse") in story_choices(settings)
    story_id = create_story(
        settings,
        {
            "title": "Two <Shots>",
            "characters": [{"name": "Bo", "description": "red scarf"}],
            "beats": [{"setting": "park", "shots": [{"action": "Bo waves."}] * 2}],
        },
        name="two.yaml",
    )
    assert (story_id, "Two <Shots> (stored)") in story_choices(settings)
    stored = story_cost(catalog, load_choice(settings, story_id))
    assert (stored.title, stored.shots) == ("Two <Shots>", 2)
    lighthouse = story_cost(catalog, load_choice(settings, "example:lighthouse"))
    assert lighthouse.shots == 9 and lighthouse.per_story_usd == Decimal(0)  # sketch + motion
    with pytest.raises(NotFound):
        load_choice(settings, "example:../../etc/passwd")
    with pytest.raises(NotFound):
        load_choice(settings, "0" * 32)
