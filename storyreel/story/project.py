"""Turning a validated story into stored rows: project, characters, planned shots.

A project is identified by the hash of its story (and reference images), so running the
same file again finds the same project and its finished jobs instead of starting over.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storyreel.engine.runtime import Runtime
from storyreel.ids import content_hash
from storyreel.store.models import Character, Project, Shot
from storyreel.store.records import add_asset, store_image
from storyreel.vocabulary import Reference, RefRole

from .loader import LoadedStory
from .planner import PlannedShot, plan_story
from .prompts import image_prompt, project_seed
from .schema import StoryDef


def _story_key(story: StoryDef, ref_shas: list[str]) -> str:
    """What identifies the project: everything that changes what is made. The budget and
    the failover policy only change what may be spent, so raising a budget keeps the same
    project (and what it already spent)."""
    content = story.model_dump(mode="json", exclude={"budget": True, "render": {"failover"}})
    return content_hash({"story": content, "references": ref_shas})


async def prepare_project(
    rt: Runtime, loaded: LoadedStory, *, budget_usd: Decimal | None = None
) -> str:
    """Store references, plan the shots, write the rows; return the project id. The
    project keeps this run's budget (``budget_usd``, else the story file's) and failover
    policy, which the engine reads when it submits and fails over."""
    story = loaded.story
    stored = [
        (ref.character, store_image(rt.assets, ref.data, ref.info.mime))
        for ref in loaded.references
    ]
    key = _story_key(story, [info["sha256"] for _, info in stored])
    async with rt.db.session() as session:
        existing = (
            await session.execute(select(Project).where(Project.story_hash == key).limit(1))
        ).scalar_one_or_none()
        budget = budget_usd if budget_usd is not None else story.budget
        if existing is not None:
            existing.budget_usd = budget
            existing.story = story.model_dump(mode="json")
            return existing.id
        for _, info in stored:
            await add_asset(session, info)
        first_ref: dict[str, dict[str, Any]] = {}
        for name, info in stored:
            first_ref.setdefault(name, info)
        project = Project(
            title=story.title,
            story_hash=key,
            story=story.model_dump(mode="json"),
            seed=project_seed(story),
            budget_usd=budget,
        )
        project.characters = [
            Character(
                position=i,
                name=c.name,
                description=c.description,
                reference_asset=first_ref.get(c.name, {}).get("sha256"),
                reference_mime=first_ref.get(c.name, {}).get("mime"),
            )
            for i, c in enumerate(story.characters)
        ]
        project.shots = [_shot_row(story, shot) for shot in plan_story(story)]
        session.add(project)
        await session.flush()
        return project.id


def _shot_row(story: StoryDef, shot: PlannedShot) -> Shot:
    return Shot(
        number=shot.number,
        beat=shot.beat,
        action=shot.action,
        setting=shot.setting,
        camera=shot.camera,
        motion=shot.motion,
        duration=shot.duration,
        characters=list(shot.characters),
        image_prompt=image_prompt(story, shot),
    )


async def load_project(rt: Runtime, project_id: str) -> Project:
    async with rt.db.read() as session:
        stmt = (
            select(Project)
            .where(Project.id == project_id)
            .options(selectinload(Project.characters), selectinload(Project.shots))
        )
        return (await session.execute(stmt)).scalar_one()


def planned(shot: Shot) -> PlannedShot:
    return PlannedShot(
        number=shot.number,
        beat=shot.beat,
        action=shot.action,
        characters=tuple(shot.characters),
        setting=shot.setting,
        camera=shot.camera,
        motion=shot.motion,
        duration=shot.duration,
    )


def planned_shots(project: Project) -> dict[int, PlannedShot]:
    """The project's shots as planned from its stored story, by number: the rows keep what
    a person reads, the plan also what picks models (per-shot models, video role, image
    prompt). The rules planner is deterministic and an LLM's plan is stored as explicit
    beats, so this is the plan the rows were written from."""
    return {shot.number: shot for shot in plan_story(story_of(project))}


def character_references(project: Project) -> dict[str, list[Reference]]:
    refs: dict[str, list[Reference]] = {}
    for c in project.characters:
        # The user's own image wins; else the character sheet drawn for it, if any.
        asset, mime = c.reference_asset, c.reference_mime
        if not (asset and mime):
            asset, mime = c.sheet_asset, c.sheet_mime
        if asset and mime:
            refs[c.name] = [Reference(role=RefRole.CHARACTER, asset=asset, mime=mime, name=c.name)]
    return refs


def story_of(project: Project) -> StoryDef:
    return StoryDef.model_validate(project.story)


def shot_summary(shot: Shot) -> dict[str, Any]:
    return {
        "number": shot.number,
        "beat": shot.beat,
        "action": shot.action,
        "characters": shot.characters,
        "setting": shot.setting,
        "camera": shot.camera,
        "motion": shot.motion,
        "duration": shot.duration,
        "image_prompt": shot.image_prompt,
    }
