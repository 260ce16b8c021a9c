"""Pay per use against a flat monthly plan (seed 000's analysis), for every face.

``storyreel cost compare`` and the UI's prices page ask the same question: a month of
stories made on pay-per-use models costs so much; each subscription plan in the catalog
costs its monthly fee; from how many stories a month does a plan pay off? The prices come
from the catalog only (a plan is the ``subscription`` price of the models it covers), the
arithmetic from ``catalog.pricing``, so the CLI table and the web page cannot disagree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storyreel.catalog import Catalog, ModelEntry, SubscriptionRule
from storyreel.catalog.pricing import Cheaper, break_even, format_usd, quantize
from storyreel.config import Settings
from storyreel.errors import InputError, NotFound
from storyreel.story.loader import LoadedStory, load_story
from storyreel.story.planner import plan_story
from storyreel.story.requests import estimate_story
from storyreel.story.runner import story_references
from storyreel.vocabulary import GenerationRequest, Task

from .pay_per_use import DEFAULT_IMAGE_MODEL as DEFAULT_IMAGE_MODEL
from .pay_per_use import DEFAULT_VIDEO_MODEL as DEFAULT_VIDEO_MODEL
from .stories import STORY_FILE, stories_root, story_folder


def _request(**fields: Any) -> GenerationRequest:
    try:
        return GenerationRequest(**fields)
    except ValidationError as exc:
        raise InputError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None


def unit_price(catalog: Catalog, name: str, kind: str) -> tuple[ModelEntry, Decimal]:
    """What one output of ``kind`` ("image" or "video") costs on the model ``name`` means
    for it, at the model's defaults."""
    entry = catalog.resolve(name)
    for task in (t for t in Task if t.output_kind == kind):
        candidate = catalog.resolve(name, task)
        if task in candidate.tasks:
            return candidate, catalog.estimate(_request(task=task, model=candidate.id))
    raise InputError(f"{entry.id} does not make {kind}s; it does: {', '.join(entry.tasks)}")


def plans(catalog: Catalog) -> list[tuple[str, SubscriptionRule]]:
    """Every distinct plan the catalog prices models by: (provider, plan), by provider
    and monthly fee."""
    found: dict[tuple[str, str], SubscriptionRule] = {}
    for entry in catalog.models():
        if isinstance(entry.price, SubscriptionRule):
            found.setdefault((entry.provider, entry.price.plan), entry.price)
    return sorted(
        ((provider, rule) for (provider, _), rule in found.items()),
        key=lambda item: (item[0], item[1].monthly_usd),
    )


def pays_off_from(per_story: Decimal, monthly: Decimal) -> int | None:
    """The smallest whole number of stories a month at which the plan is cheaper than
    paying per use (strictly: at the break-even itself both cost the same). Seed 000:
    $199 against $24.50 a story: 8 stories cost $196, 9 cost $220.50, so 9. ``None``:
    stories that cost nothing per use never make a plan worth it."""
    if per_story < 0 or monthly < 0:
        raise ValueError("prices cannot be negative")
    if per_story == 0:
        return None
    return math.floor(monthly / per_story) + 1


@dataclass(frozen=True)
class PlanVerdict:
    """One plan against pay per use, for the month asked about."""

    provider: str
    plan: SubscriptionRule
    break_even: Decimal
    """Stories per month at which both cost the same (``Infinity``: never)."""
    pays_off_from: int | None
    cheaper: Cheaper
    saving_usd: Decimal
    """What the cheaper option saves in the month asked about."""

    @property
    def words(self) -> str:
        """``The Unlimited Premium plan (modelslab, $199.00/month) pays off from 9 stories
        a month``."""
        name = f"The {self.plan.plan} plan ({self.provider}, {format_usd(self.plan.monthly_usd)}"
        name += "/month)"
        if self.pays_off_from is None:
            return f"{name} never pays off: these stories cost nothing per use"
        stories = "story" if self.pays_off_from == 1 else "stories"
        return f"{name} pays off from {self.pays_off_from} {stories} a month"


@dataclass(frozen=True)
class Comparison:
    """A month of stories on pay-per-use models against every plan."""

    image_model: ModelEntry
    image_usd: Decimal
    images_per_story: int
    video_model: ModelEntry
    video_usd: Decimal
    videos_per_story: int
    stories_per_month: int
    per_story_usd: Decimal
    pay_per_use_usd: Decimal
    """The month on pay per use: ``stories_per_month`` stories."""
    verdicts: list[PlanVerdict]


def verdict(
    provider: str, plan: SubscriptionRule, per_story: Decimal, stories_per_month: int
) -> PlanVerdict:
    pay = quantize(per_story * stories_per_month)
    flat = quantize(plan.monthly_usd)
    cheaper: Cheaper = "same" if pay == flat else ("subscription" if flat < pay else "pay-per-use")
    return PlanVerdict(
        provider=provider,
        plan=plan,
        break_even=break_even(per_story, plan.monthly_usd),
        pays_off_from=pays_off_from(per_story, plan.monthly_usd),
        cheaper=cheaper,
        saving_usd=abs(pay - flat),
    )


def compare(
    catalog: Catalog,
    *,
    stories_per_month: int,
    images_per_story: int,
    videos_per_story: int,
    image_model: str = DEFAULT_IMAGE_MODEL,
    video_model: str = DEFAULT_VIDEO_MODEL,
    plan_names: list[str] | None = None,
) -> Comparison:
    """Pay per use against the plans named (providers or models, ``Catalog.plan``), or
    against every plan of the catalog."""
    for what, number in (
        ("stories per month", stories_per_month),
        ("images per story", images_per_story),
        ("videos per story", videos_per_story),
    ):
        if number < 0:
            raise InputError(f"{what} cannot be negative, got {number}")
    image_entry, image_usd = unit_price(catalog, image_model, "image")
    video_entry, video_usd = unit_price(catalog, video_model, "video")
    per_story = images_per_story * image_usd + videos_per_story * video_usd
    return Comparison(
        image_model=image_entry,
        image_usd=image_usd,
        images_per_story=images_per_story,
        video_model=video_entry,
        video_usd=video_usd,
        videos_per_story=videos_per_story,
        stories_per_month=stories_per_month,
        per_story_usd=per_story,
        pay_per_use_usd=quantize(per_story * stories_per_month),
        verdicts=verdicts(catalog, per_story, stories_per_month, plan_names),
    )


def verdicts(
    catalog: Catalog,
    per_story: Decimal,
    stories_per_month: int,
    plan_names: list[str] | None = None,
) -> list[PlanVerdict]:
    """Each plan named (providers or models, ``Catalog.plan``), or every plan of the
    catalog, against ``stories_per_month`` stories at ``per_story`` each."""
    if stories_per_month < 0:
        raise InputError(f"stories per month cannot be negative, got {stories_per_month}")
    if plan_names is None:
        chosen = plans(catalog)
    else:
        chosen = []
        for name in plan_names:
            entry, rule = catalog.plan(name)
            chosen.append((entry.provider, rule))
    return [verdict(p, rule, per_story, stories_per_month) for p, rule in chosen]


# -- a story's own plan as the month's unit ---------------------------------------------

EXAMPLE = "example:"


@dataclass(frozen=True)
class StoryCost:
    """What one story costs on pay per use: its shots on the models it names."""

    title: str
    shots: int
    per_story_usd: Decimal


def story_cost(catalog: Catalog, loaded: LoadedStory) -> StoryCost:
    """Every panel, clip, sheet and sound of the story priced, as ``storyreel cost
    estimate --story`` prices it; an unpriceable story is an InputError."""
    shots = plan_story(loaded.story)
    estimate = estimate_story(catalog, loaded.story, shots, story_references(loaded))
    estimate.raise_errors(loaded.source.name)
    if estimate.total_usd is None:
        raise InputError(f"{loaded.story.title}: a model of this story has no price")
    return StoryCost(loaded.story.title, len(estimate.shots), estimate.total_usd)


def _examples() -> dict[str, Path]:
    root = files("storyreel.examples")
    return {
        Path(item.name).stem: Path(str(item))
        for item in root.iterdir()
        if item.name.endswith(".yaml")
    }


def story_choices(settings: Settings, *, most: int = 50) -> list[tuple[str, str]]:
    """(value, label) of the stories a month can be made of: the bundled examples and the
    stored stories (newest first, ``most`` of them)."""
    choices = [(f"{EXAMPLE}{name}", f"example: {name}") for name in sorted(_examples())]
    root = stories_root(settings)
    stored = sorted(root.glob(f"*/{STORY_FILE}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in stored[:most]:
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("title")
        except (OSError, ValueError, AttributeError):
            continue
        choices.append((path.parent.name, f"{title or 'untitled'} (stored)"))
    return choices


def load_choice(settings: Settings, value: str) -> LoadedStory:
    """The story a ``story_choices`` value names; NotFound for anything else."""
    limits = {
        "max_image_bytes": settings.max_upload_bytes,
        "max_image_pixels": settings.max_image_pixels,
    }
    if value.startswith(EXAMPLE):
        path = _examples().get(value.removeprefix(EXAMPLE))
        if path is None:
            raise NotFound(f"no example story {value.removeprefix(EXAMPLE)[:64]!r}")
        return load_story(path, **limits)
    return load_story(story_folder(settings, value).story_file, **limits)
