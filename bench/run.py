"""Run every benchmark in this folder and print each figure beside its reference.

A benchmark is any module here with ``run() -> list[bench.common.Result]`` (see
``bench/common.py``); each result is a figure, a reference measured in the same run, and
their ratio. A module without ``run()`` is still run as a script, its output shown as is.

    python bench/run.py [--only NAME ...] [--json FILE]

``--json FILE`` writes the same results as a list of objects (name, value, unit, reference,
reference_unit, reference_name, ratio, note, benchmark) so the figures can be tracked.
"""

from __future__ import annotations

import argparse
import importlib
import json
import runpy
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Result

HERE = Path(__file__).resolve().parent

NOT_BENCHMARKS = {"run", "common", "sql_counter", "__init__"}


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def show(results: list[Result]) -> None:
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.3g}x"
        reference = ""
        if r.reference is not None:
            shown = _number(r.reference, r.reference_unit or r.unit)
            reference = f"{shown} ({r.reference_name})"
        print(f"  {r.name:<46} {_number(r.value, r.unit):>14}  ref {reference:<44} {ratio:>8}")
        if r.note:
            print(f"  {'':<46}   {r.note}")


def run_one(name: str) -> list[Result]:
    module = importlib.import_module(f"bench.{name}")
    if hasattr(module, "run"):
        results: list[Result] = module.run()
        return results
    saved = sys.argv
    sys.argv = [str(HERE / f"{name}.py")]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.argv = saved
    return [Result(name, 0, "", note="no run(): printed above, no ratios")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    args = parser.parse_args()
    names = args.only or discover()
    rows: list[dict[str, object]] = []
    failed = []
    started = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        try:
            results = run_one(name)
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        show(results)
        print(f"  ({time.perf_counter() - began:.0f} s)", flush=True)
        rows += [r.as_json() | {"benchmark": name} for r in results]
    print(f"== {len(names)} benchmarks in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
