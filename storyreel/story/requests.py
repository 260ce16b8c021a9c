"""The jobs a story needs, bound to real models, checked and priced before anything runs.

A story names its models as a writer would (``flux-2-pro``, ``kling``); each shot is bound
to the model that name means for what the shot asks: the text-to-image endpoint for a shot
with no character references, the edit endpoint for one with them, and a fixed-duration
video model's clip length rounded up to one it can make. The same binding is used to price
the story (``storyreel cost estimate --story``, ``story plan --estimate``), to check it
before its first job, and to create its jobs, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial

from storyreel.catalog import Catalog, billing
from storyreel.errors import ConfigError, InputError, StoryreelError
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

from .consistency import strategies
from .consistency.sheets import sheet_characters, sheet_request
from .narration import Line, ShotNotes, music_request, narration_lines, shot_notes, voice_request
from .planner import PlannedShot
from .prompts import clip_request, panel_request
from .schema import BY_ROLE, ROLE_MODELS, CharacterDef, StoryDef

PLACEHOLDER_PANEL = "0" * 64
"""The panel a clip is priced and checked with before the panel exists."""


def _bind(catalog: Catalog, req: GenerationRequest) -> GenerationRequest:
    return catalog.bind(req) if req.model in catalog else req


def model_for(catalog: Catalog, name: str, task: Task) -> str:
    """The full id ``name`` means for ``task``. A name the catalog does not know is taken
    as it is only when it is a ``provider:model`` id of a provider the catalog has no data
    for (a plugin's model); a typo in a catalogued provider's id is an error."""
    if name in catalog:
        return catalog.for_task(name, task).id
    provider, colon, _ = name.partition(":")
    if not colon or provider in catalog.providers():
        catalog.resolve(name)  # raises the one-line "unknown model ... did you mean" error
    return name


def first_last_model_for(catalog: Catalog, name: str) -> str:
    """The first-last-frame model ``name`` means: itself when it can, else its family's
    first-last endpoint at the same provider (``veo31-fast`` on fal is Veo 3.1 Fast's
    image-to-video endpoint; its first-last-frame one is a sibling), else the error
    naming what to do."""
    try:
        return model_for(catalog, name, Task.FIRST_LAST_TO_VIDEO)
    except InputError as exc:
        if name not in catalog:
            raise
        entry = catalog.resolve(name)
        for sibling in catalog.models(Task.FIRST_LAST_TO_VIDEO):
            if sibling.provider == entry.provider and sibling.family_name == entry.family_name:
                return sibling.id
        raise InputError(
            f"{exc.message}; a shot that ends on the next panel needs a first-last-frame "
            "video model (storyreel models --task first-last-to-video)"
        ) from None


def video_model_of(story: StoryDef, shot: PlannedShot) -> str:
    """The video model a shot's clip is made on: the shot's own, else its role's
    (``render.video_roles``, then seed 002's when ``video_model`` is ``by-role``), else
    the story's."""
    if shot.video_model:
        return shot.video_model
    render = story.render
    role = shot.video_role or "motion"
    if role in render.video_roles:
        return render.video_roles[role]
    if render.video_model == BY_ROLE:
        return ROLE_MODELS[role]
    return render.video_model


def _placeholder(refs: Sequence[Reference]) -> Reference:
    return Reference(role=RefRole.CHARACTER, asset=PLACEHOLDER_PANEL, name="composite")


def bound_panel(
    catalog: Catalog,
    story: StoryDef,
    shot: PlannedShot,
    references: dict[str, list[Reference]],
    *,
    compose: strategies.Compose = _placeholder,
    mask: strategies.MaskMaker | None = None,
) -> GenerationRequest:
    """The shot's panel, made with the strategy the image model's capabilities choose
    (``consistency/strategies.py``); a shot with no referenced character is text to image."""
    name = shot.image_model or story.render.image_model
    choice = None
    if strategies.present_references(story, shot, references):
        if name not in catalog:
            model_for(catalog, name, Task.REFERENCE_TO_IMAGE)  # a typo's one-line error
        choice = strategies.choose(catalog, name, story.render.consistency)
    if choice is None or choice.strategy is strategies.Strategy.PROMPT:
        model = model_for(catalog, name, Task.TEXT_TO_IMAGE)
        return _bind(catalog, panel_request(story, shot, references={}, model=model))
    req = strategies.panel(choice, story, shot, references, compose=compose, mask=mask)
    return _bind(catalog, req)


def bound_sheet(catalog: Catalog, story: StoryDef, character: CharacterDef) -> GenerationRequest:
    """A character's sheet job, on ``render.sheet_model`` or the story's image model."""
    model = model_for(
        catalog, story.render.sheet_model or story.render.image_model, Task.TEXT_TO_IMAGE
    )
    return _bind(catalog, sheet_request(story, character, model=model))


def sheet_cast(catalog: Catalog, story: StoryDef, have: set[str]) -> list[CharacterDef]:
    """The characters to draw a sheet for (``sheets.sheet_characters``), none when the
    image model takes no references and no ``sheet_model`` is named: a sheet would buy
    nothing a text-only model can use."""
    if story.render.sheet_model is None:
        name = story.render.image_model
        if strategies.choose(catalog, name, story.render.consistency).strategy is (
            strategies.Strategy.PROMPT
        ):
            return []
    return sheet_characters(story, have)


def candidates_for(story: StoryDef, number: int) -> int:
    """How many panels shot ``number`` draws: its own ``candidates``, else the story's."""
    count = 0
    for beat in story.beats:
        for shot in beat.shots:
            count += 1
            if count == number and shot.candidates is not None:
                return shot.candidates
    return story.render.candidates


def bound_clip(
    catalog: Catalog,
    story: StoryDef,
    shot: PlannedShot,
    *,
    panel_sha256: str,
    last_panel_sha256: str | None = None,
    duration: float | None = None,
) -> GenerationRequest:
    """The shot's clip. With ``last_panel_sha256`` (a shot that ends on the next one's
    panel) it is a first-last-frame video on the model the video model's name means for
    that task; ``duration`` replaces the planned length (a shot stretched to its line)."""
    task = Task.IMAGE_TO_VIDEO if last_panel_sha256 is None else Task.FIRST_LAST_TO_VIDEO
    name = video_model_of(story, shot)
    if last_panel_sha256 is None:
        model = model_for(catalog, name, task)
    else:
        model = first_last_model_for(catalog, name)
    if duration is not None:
        shot = replace(shot, duration=duration)
    req = clip_request(story, shot, panel_sha256=panel_sha256, model=model)
    if last_panel_sha256 is not None:
        last = Reference(role=RefRole.LAST_FRAME, asset=last_panel_sha256, mime="image/png")
        req = req.model_copy(update={"task": task, "references": (*req.references, last)})
    return _bind(catalog, req)


def sound_requests(
    catalog: Catalog, story: StoryDef, seconds: float
) -> tuple[list[tuple[Line, GenerationRequest]], GenerationRequest | None]:
    """Each line's voice job and the music job (``seconds`` long), bound to real models."""
    lines = narration_lines(story)
    voice = model_for(catalog, story.sound.voice_model, Task.SPEECH) if lines else ""
    voices = [(line, _bind(catalog, voice_request(story, line, voice))) for line in lines]
    music = None
    if story.sound.music_model and story.sound.music is None:
        model = model_for(catalog, story.sound.music_model, Task.SPEECH)
        music = _bind(catalog, music_request(story, model, seconds))
    return voices, music


@dataclass(frozen=True)
class ShotCost:
    number: int
    planned_seconds: float
    billed_seconds: float | None
    panel_model: str
    clip_model: str
    panel_usd: Decimal | None
    """All the shot's candidate panels together."""
    clip_usd: Decimal | None
    candidates: int = 1

    @property
    def total_usd(self) -> Decimal | None:
        if self.panel_usd is None or self.clip_usd is None:
            return None
        return self.panel_usd + self.clip_usd


@dataclass
class StoryEstimate:
    """Every shot's panel and clip, bound and priced; ``errors`` lists what cannot run."""

    shots: list[ShotCost] = field(default_factory=list)
    sheets: dict[str, Decimal | None] = field(default_factory=dict)
    """Each character sheet to draw, by character, and its price."""
    requests: list[GenerationRequest] = field(default_factory=list)
    problems: dict[str, list[int]] = field(default_factory=dict)
    """Each distinct problem and the shots it hits (a missing key hits every shot)."""
    sound_usd: Decimal | None = Decimal(0)
    """The narration lines' voice jobs and the music job together."""
    sound: dict[str, Decimal | None] = field(default_factory=dict)
    """Each voice or music job by its request's cache key, and its price: a resumed run
    still has to buy the ones with no finished job."""
    configuration_only: bool = True
    """Every problem is the machine's set-up (a missing key), not the story file: the
    CLI then exits as a configuration error (5), not as bad input (3)."""

    @property
    def errors(self) -> list[str]:
        return [f"{_shots(numbers)}: {message}" for message, numbers in self.problems.items()]

    def _sum(self, pick: Callable[[ShotCost], Decimal | None]) -> Decimal | None:
        values = [pick(s) for s in self.shots]
        if any(v is None for v in values):
            return None
        return sum((v for v in values if v is not None), Decimal(0))

    @property
    def panels_usd(self) -> Decimal | None:
        return self._sum(lambda s: s.panel_usd)

    @property
    def clips_usd(self) -> Decimal | None:
        return self._sum(lambda s: s.clip_usd)

    @property
    def sheets_usd(self) -> Decimal | None:
        if any(v is None for v in self.sheets.values()):
            return None
        return sum((v for v in self.sheets.values() if v is not None), Decimal(0))

    @property
    def total_usd(self) -> Decimal | None:
        shots, sheets = self._sum(lambda s: s.total_usd), self.sheets_usd
        if shots is None or sheets is None or self.sound_usd is None:
            return None
        return shots + sheets + self.sound_usd

    def raise_errors(self, source: str) -> None:
        """One line naming every problem, before anything is created or bought."""
        errors = self.errors
        if not errors:
            return
        kind = ConfigError if self.configuration_only else InputError
        raise kind(f"{source}: " + "; ".join(errors))


def _times(price: Decimal | None, count: int) -> Decimal | None:
    return None if price is None else price * count


def _shots(numbers: list[int]) -> str:
    return f"shot {numbers[0]}" if len(numbers) == 1 else f"shots {', '.join(map(str, numbers))}"


Check = Callable[[GenerationRequest], None]


def estimate_story(
    catalog: Catalog,
    story: StoryDef,
    shots: Sequence[PlannedShot],
    references: dict[str, list[Reference]],
    *,
    check: Check | None = None,
) -> StoryEstimate:
    """Bind, check and price every shot, collecting every problem instead of stopping at
    the first, so a writer fixes the whole file in one go. ``check`` adds the engine's
    own checks (the provider can take the request, its key is set)."""
    result = StoryEstimate()

    def checked(number: int, build: Callable[[], GenerationRequest]) -> GenerationRequest | None:
        try:
            req = build()
            if req.model in catalog:
                catalog.validate_request(req)
            if check is not None:
                check(req)
        except StoryreelError as exc:  # bad input, or a provider without its key
            result.configuration_only &= isinstance(exc, ConfigError)
            numbers = result.problems.setdefault(exc.message, [])
            if number not in numbers:
                numbers.append(number)
            return None
        return req

    references = dict(references)
    for character in sheet_cast(catalog, story, set(references)):
        numbers = [s.number for s in shots if character.name in s.characters] or [0]
        sheet = checked(numbers[0], partial(bound_sheet, catalog, story, character))
        if sheet is not None:
            result.requests.append(sheet)
            result.sheets[character.name] = billing.estimate(catalog, sheet)
        # Panels are bound as they will be once the sheet exists.
        references[character.name] = [
            Reference(role=RefRole.CHARACTER, asset=PLACEHOLDER_PANEL, name=character.name)
        ]
    notes = shot_notes(story)
    for shot in shots:
        panel = checked(shot.number, partial(bound_panel, catalog, story, shot, references))
        ends_on_next = notes.get(shot.number, ShotNotes()).end_on_next
        clip = checked(
            shot.number,
            partial(
                bound_clip,
                catalog,
                story,
                shot,
                panel_sha256=PLACEHOLDER_PANEL,
                last_panel_sha256=PLACEHOLDER_PANEL if ends_on_next else None,
            ),
        )
        if panel is None or clip is None:
            continue
        candidates = candidates_for(story, shot.number)
        result.requests += [panel, clip]
        result.shots.append(
            ShotCost(
                number=shot.number,
                planned_seconds=shot.duration,
                billed_seconds=clip.duration,
                panel_model=panel.model,
                clip_model=clip.model,
                panel_usd=_times(billing.estimate(catalog, panel), candidates),
                clip_usd=billing.estimate(catalog, clip),
                candidates=candidates,
            )
        )
    _estimate_sound(catalog, story, shots, result, checked)
    return result


def _estimate_sound(
    catalog: Catalog,
    story: StoryDef,
    shots: Sequence[PlannedShot],
    result: StoryEstimate,
    checked: Callable[[int, Callable[[], GenerationRequest]], GenerationRequest | None],
) -> None:
    """The voice and music jobs, checked and priced like the shots' (a line's problem is
    reported on its first shot; the music's on shot 1)."""
    try:
        voices, music = sound_requests(catalog, story, sum(s.duration for s in shots))
    except StoryreelError as exc:
        result.configuration_only &= isinstance(exc, ConfigError)
        result.problems.setdefault(f"sound: {exc.message}", []).append(1)
        result.sound_usd = None
        return
    jobs = [(line.shots[0], req) for line, req in voices]
    jobs += [(1, music)] if music is not None else []
    total: Decimal | None = Decimal(0)
    for number, req in jobs:
        if checked(number, lambda req=req: req) is None:  # type: ignore[misc]
            continue
        result.requests.append(req)
        price = billing.estimate(catalog, req)
        result.sound[req.cache_key()] = price
        total = None if total is None or price is None else total + price
    result.sound_usd = total


__all__ = [
    "PLACEHOLDER_PANEL",
    "ShotCost",
    "StoryEstimate",
    "bound_clip",
    "bound_panel",
    "bound_sheet",
    "candidates_for",
    "estimate_story",
    "model_for",
    "sheet_cast",
    "video_model_of",
]
