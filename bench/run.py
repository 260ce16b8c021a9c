"""Run every benchmark in this folder; each prints its own side-by-side ratios."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

for script in sorted(Path(__file__).parent.glob("*.py")):
    if script.name not in {"run.py", "__init__.py"}:
        print(f"== {script.stem}")
        sys.argv = [str(script)]
        runpy.run_path(str(script), run_name="__main__")
