"""Benchmark: the cost of checking and fixing grows linearly with the memory
writes in a module (issue 10, item 8).

Not collected by pytest (a timing is not a unit test). Run from the
repository root:

    python tests/benchmarks/fix_scaling.py                  # 1k/2k/4k/8k writes
    python tests/benchmarks/fix_scaling.py --sizes 500 1000 2000 --no-fix

Two module shapes, each with N unsafe writes (every one has a fix):
  functions  N/2 small actions, each writing a UUID held in a local and an
             Enum member (many top-level statements: `_statement_of`);
  body       one action with N locals and N writes (many siblings in one
             block: `SourceMap.parent`).
For each size it prints the seconds of `check` (lint + fix planning, what
`memlint check` and the language server pay), of the fix planning inside it
(`plan`: memlint.fix.plan.plan_fixes), and of `fix` (fix_text with
unsafe fixes: rounds of edits and re-lints, what `--fix --unsafe-fixes` pays),
and the ratio to the previous size: linear cost doubles (x2.0) when N
doubles; the quadratic cost this replaces gave x4 (1,000 writes 2.6 s,
8,000 writes 127 s for `check`: SourceMap.parent and _statement_of
rescanning siblings, libcst's `children` recomputed on every access,
may_read scanning the whole text per write, select_fixes comparing each
edit with every edit taken).

Measured on 2 shared cores under load (issue 10 note), `plan` (the fix side)
is linear in both shapes: functions 2.1 / 5.2 / 5.1 / 14.3 s, body 1.8 / 3.2
/ 6.7 / 13.7 s for 1k/2k/4k/8k writes. `check` is linear for `body` (4.7 /
9.8 / 18.8 / 36.8 s); for `functions` it still grows faster at 8k (88.6 s)
through engine._inside_definition, which scans module.body once per
memory-hint line (not part of the fix side). A second run of `body` with
fixes: check 3.3 / 4.9 / 13.5 / 23.2 s, plan 1.0 / 1.7 / 4.4 / 7.9 s, fix
(--fix --unsafe-fixes, all 8,000 fixed) 6.8 / 10.8 / 24.5 / 47.3 s.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

HEAD = '''\
from enum import Enum
from uuid import uuid4

from flink_agents.api.runner_context import RunnerContext


class Color(Enum):
    RED = "red"

'''


def module(n: int, shape: str) -> str:
    if shape == "functions":
        return HEAD + "".join(
            f"\ndef act{i}(ctx: RunnerContext) -> None:\n"
            f"    v = uuid4()\n"
            f"    ctx.short_term_memory.set(\"id{i}\", v)\n"
            f"    ctx.short_term_memory.set(\"color{i}\", Color.RED)\n"
            for i in range(n // 2))
    return HEAD + "\ndef act(ctx: RunnerContext) -> None:\n" + "".join(
        f"    v{i} = uuid4()\n    ctx.short_term_memory.set(\"id{i}\", v{i})\n" for i in range(n))


def timed(function, *args, **kwargs):
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    parser.add_argument("--shapes", nargs="+", default=["functions", "body"], choices=["functions", "body"])
    parser.add_argument("--no-fix", action="store_true", help="time `check` only")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from memlint.api import lint_source
    from memlint.config import Config
    from memlint.engine import Settings
    from memlint.fix import fix_text

    settings = Settings.from_config(Config())
    lint_source("x = 1\n", "warmup.py")  # imports, stubs
    from memlint.engine import tune_gc

    tune_gc()  # as the command line does
    import memlint.fix.plan as plan_module

    planning = [0.0]  # seconds inside plan_fixes (the fix side of `check`)
    real_plan_fixes = plan_module.plan_fixes

    def plan_fixes(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_plan_fixes(*args, **kwargs)
        finally:
            planning[0] += time.perf_counter() - start

    plan_module.plan_fixes = plan_fixes

    header = f"{'shape':<10} {'writes':>7} {'found':>6} {'check s':>8} {'x':>5} {'plan s':>7} {'x':>5}"
    if not args.no_fix:
        header += f" {'fix s':>8} {'x':>5} {'fixed':>6} {'left':>5}"
    print(header)
    for shape in args.shapes:
        previous: dict[str, float] = {}
        for n in args.sizes:
            text = module(n, shape)
            planning[0] = 0.0
            seconds, found = timed(lint_source, text, "agent.py")
            row = (f"{shape:<10} {n:>7} {len(found):>6} {seconds:>8.2f} {_ratio(seconds, previous.get('check')):>5}"
                   f" {planning[0]:>7.2f} {_ratio(planning[0], previous.get('plan')):>5}")
            previous["check"], previous["plan"] = seconds, planning[0]
            if not args.no_fix:
                seconds, result = timed(fix_text, "agent.py", text, settings, True)
                row += (f" {seconds:>8.2f} {_ratio(seconds, previous.get('fix')):>5}"
                        f" {len(result.fixed):>6} {len(result.remaining):>5}")
                previous["fix"] = seconds
            print(row, flush=True)
    return 0


def _ratio(now: float, before) -> str:
    return "" if not before else f"x{now / before:.1f}"


if __name__ == "__main__":
    sys.exit(main())
