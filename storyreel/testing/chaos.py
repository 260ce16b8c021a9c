"""Named crash points: kill this process, on purpose, at a chosen place in the pipeline.

The engine promises that a process killed anywhere (in a submit, a poll, a download, an
assembly, an export) loses nothing and buys nothing twice when the same command is run
again. Killing a subprocess from outside at a random moment rarely lands where it matters,
so the code marks the places that matter with ``crash_point("name")`` and the chaos tests
choose one through the environment::

    STORYREEL_CHAOS_CRASH=before_submit:3           # the 3rd time this process gets there
    STORYREEL_CHAOS_CRASH=during_poll:random:0.05   # each time with probability 0.05
    STORYREEL_CHAOS_CRASH=during_poll:random:0.05:7 # ... drawn from a generator seeded 7
    STORYREEL_CHAOS_CRASH=before_submit:2,during_export:1   # several, comma-separated

The kill is SIGKILL to this very process: no ``finally``, no atexit, no flush, exactly what
an OOM killer or a lost machine does. The variable is read once; unset, a crash point is a
dictionary lookup on an empty dict.
"""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from dataclasses import dataclass
from functools import cache

ENV_VAR = "STORYREEL_CHAOS_CRASH"

POINTS = (
    "before_submit",
    "after_submit_before_handle",
    "during_poll",
    "during_download",
    "during_assembly",
    "during_export",
)
"""Every crash point placed in the code; a spec naming another one is refused."""


@dataclass
class _Rule:
    nth: int | None = None
    probability: float = 0.0
    rng: random.Random | None = None

    def fires(self, seen: int) -> bool:
        if self.nth is not None:
            return seen == self.nth
        assert self.rng is not None
        return self.rng.random() < self.probability


def parse(spec: str) -> dict[str, _Rule]:
    """``name:n`` or ``name:random:p[:seed]``, comma-separated; ValueError when malformed,
    so a typo in a chaos test fails loudly instead of never crashing."""
    rules: dict[str, _Rule] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, rest = part.partition(":")
        if name not in POINTS:
            raise ValueError(f"{ENV_VAR}: unknown crash point {name!r} (known: {POINTS})")
        fields = rest.split(":")
        if fields[0] == "random" and len(fields) in (2, 3):
            probability = float(fields[1])
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"{ENV_VAR}: probability must be in [0, 1]: {part!r}")
            seed = int(fields[2]) if len(fields) == 3 else None
            rules[name] = _Rule(probability=probability, rng=random.Random(seed))
        elif len(fields) == 1 and fields[0].isdigit() and int(fields[0]) >= 1:
            rules[name] = _Rule(nth=int(fields[0]))
        else:
            raise ValueError(f"{ENV_VAR}: expected name:n or name:random:p[:seed], got {part!r}")
    return rules


@cache
def _rules() -> dict[str, _Rule]:
    return parse(os.environ.get(ENV_VAR, ""))


_seen: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Kill this process here if ``STORYREEL_CHAOS_CRASH`` says so; otherwise nothing."""
    rules = _rules()
    if not rules:
        return
    rule = rules.get(name)
    if rule is None:
        return
    _seen[name] += 1
    if rule.fires(_seen[name]):
        # Written unbuffered, so the test can tell where its kill landed.
        os.write(2, f"chaos: killed at {name} #{_seen[name]}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)


def reset() -> None:
    """Forget the parsed variable and the counts (tests that change the environment)."""
    _rules.cache_clear()
    _seen.clear()


__all__ = ["ENV_VAR", "POINTS", "crash_point", "parse", "reset"]
