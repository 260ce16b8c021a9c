"""``storyreel models``: every catalog model, its limits and its price.

The id is what a user copies into the next command, so it is never cut: a wide terminal
gets a table whose other columns wrap first, a narrow one a two-line-a-model list, and
``--json`` has every field (``schemas.ModelList``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from storyreel.catalog import Catalog, ModelEntry
from storyreel.services.models import limits
from storyreel.vocabulary import Task

from .common import JsonOption, console, emit_json, guard, hint, settings
from .schemas import ModelInfo, ModelList

TABLE_WIDTH = 120
"""Terminal columns from which ``models`` is a table (below: a list, ids whole)."""
WIDE_TABLE = 160
"""Terminal columns from which the table also shows each price's source."""


def model_info(entry: ModelEntry) -> ModelInfo:
    return ModelInfo(
        id=entry.id,
        provider=entry.provider,
        title=entry.title,
        aliases=list(entry.aliases),
        tasks=[str(t) for t in entry.tasks],
        max_references=entry.max_references,
        durations=list(entry.durations),
        resolutions=list(entry.resolutions),
        audio=entry.audio,
        price=entry.price.summary(),
        price_source=entry.price_source,
    )


def models_command(
    task: Annotated[Task | None, typer.Option(help="Only models that can do this task.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the models storyreel knows, with their limits and prices."""
    with guard():
        entries = Catalog.load(settings()).models(task)
    if as_json:
        emit_json(ModelList(task=task, models=[model_info(e) for e in entries]))
        return
    title = f"{len(entries)} models" + (f" for {task}" if task else "")
    if console.width < TABLE_WIDTH:
        _print_model_list(title, entries)
    else:
        _print_model_table(title, entries)
    if console.width < WIDE_TABLE:
        hint("price sources: a wider terminal, or storyreel models --json")


def _print_model_list(title: str, entries: list[ModelEntry]) -> None:
    """Narrow terminals: two lines a model, the id whole on the first."""
    console.print(f"[bold]{title}[/]", highlight=False)
    for entry in entries:
        aliases = f"  ({', '.join(entry.aliases)})" if entry.aliases else ""
        facts = [", ".join(entry.tasks), f"refs {entry.max_references}"]
        facts += [limits(entry)] * bool(limits(entry)) + [entry.price.summary()]
        console.print(f"{entry.id}{aliases}", highlight=False, soft_wrap=True)
        console.print(f"  {' | '.join(facts)}", highlight=False)


def _print_model_table(title: str, entries: list[ModelEntry]) -> None:
    table = Table(title=title)
    # The id is what a user copies into the next command: kept on one line (other columns
    # wrap first), folded, never cut, if it must.
    table.add_column("id", no_wrap=True, overflow="fold")
    for column in ("aliases", "tasks", "refs", "durations / resolutions", "price"):
        table.add_column(column, overflow="fold")
    wide = console.width >= WIDE_TABLE
    if wide:
        table.add_column("source", overflow="fold", style="dim")
    for entry in entries:
        cells = [
            entry.id,
            ", ".join(entry.aliases),
            ", ".join(entry.tasks),
            str(entry.max_references),
            limits(entry),
            entry.price.summary(),
        ]
        table.add_row(*cells, *([entry.price_source] if wide else []))
    console.print(table)
