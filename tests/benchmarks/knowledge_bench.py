"""Benchmark: does a big target environment slow `memlint check` down?

Not collected by pytest. Run from the repository root:

    python tests/benchmarks/knowledge_bench.py                  # makes the big venv (pip, network), 7 rounds
    python tests/benchmarks/knowledge_bench.py --venv /tmp/big  # reuse a venv made by an earlier run
    python tests/benchmarks/knowledge_bench.py --rounds 11 --keep

memlint reads the target environment on demand: only the modules a checked
file reaches are located and summarized (`ast`, never imported), so an
environment with thousands of modules must cost nothing when the agent code
does not import from it. Three commands over the same small agent project
(made in a temporary folder; nothing is written into the repository):

  (a) `memlint check` with the default environment (the interpreter memlint runs in);
  (b) `--python BIG` where BIG is a virtualenv holding openai, sympy and
      pandas-stubs (thousands of modules) that the agent files do NOT import;
  (c) the same `--python BIG` with one agent file importing
      `openai.types.chat.ChatCompletion` (which reaches a few dozen modules).

In each round the three run one after another (the order rotates), so slow
drift of the machine affects all three; medians and the spread are reported,
with the ratios b/a (expected ~1.0) and c/a. Every run is `--jobs 1
--no-cache` (the on-disk cache would answer repeated runs from its entries). Each
command is also run once in-process to count the module summaries made
(`SummaryCache` entries): (b) must equal (a).
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIG_PACKAGES = ("openai", "sympy", "pandas-stubs")

MODELS = '''\
from enum import Enum
from uuid import UUID

from pydantic import BaseModel


class Status(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class Order(BaseModel):
    id: UUID
    status: Status
    total: float
'''

AGENT = '''\
import datetime
from collections import OrderedDict

from .models import Order, Status


def on_order_{n}(event, ctx, order: Order) -> None:
    seen = ctx.short_term_memory.get("seen") or {{}}
    seen[str(order.id)] = order.status
    ctx.short_term_memory.set("seen", seen)
    ctx.short_term_memory.set("order", order)
    ctx.short_term_memory.set("order_json", order.model_dump(mode="json"))
    ctx.sensory_memory.set("status", Status.OPEN.value)
    ctx.sensory_memory.set("when", datetime.datetime.now())
    ctx.sensory_memory.set("ordered", OrderedDict(a=1))
    ctx.sensory_memory.set("total", order.total * 2)
'''

OPENAI_AGENT = '''\
from openai.types.chat import ChatCompletion


def on_completion(event, ctx, completion: ChatCompletion) -> None:
    ctx.sensory_memory.set("completion", completion)
    ctx.sensory_memory.set("completion_json", completion.model_dump(mode="json"))
    ctx.sensory_memory.set("message", completion.choices[0].message)
'''

COUNT_SUMMARIES = r'''
import sys
from memlint import cli, index
cli.main(sys.argv[1:])
cache = index.SHARED_CACHE
entries = getattr(cache, "_by_path", None)
print(len(entries) if entries is not None else -1)
'''


def make_project(base: Path, files: int, with_openai: bool) -> Path:
    root = base / ("agents_openai" if with_openai else "agents")
    package = root / "agents"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "agents"\nversion = "0"\n', encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text(MODELS, encoding="utf-8")
    for n in range(files):
        (package / f"agent_{n:02d}.py").write_text(AGENT.format(n=n), encoding="utf-8")
    if with_openai:
        (package / "agent_openai.py").write_text(OPENAI_AGENT, encoding="utf-8")
    return root


def make_big_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next(iter(glob.glob(str(path / "lib" / "python3.*" / "site-packages"))))
    print(f"installing {', '.join(BIG_PACKAGES)} into {site} ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--target", site, *BIG_PACKAGES], check=True)
    return path


def count_modules(venv: Path) -> int:
    total = 0
    for site in glob.glob(str(venv / "lib" / "python3.*" / "site-packages")):
        for _, _, names in os.walk(site):
            total += sum(1 for name in names if name.endswith((".py", ".pyi")))
    return total


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=str(cwd), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1) or "Traceback" in result.stderr:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="an existing big virtualenv to use (default: make one)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=20, help="agent files in the project")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and the big venv)")
    args = parser.parse_args()

    memlint = shutil.which("memlint")
    if memlint is None:
        raise SystemExit("the `memlint` command is not on PATH (pip install -e .)")
    work = Path(tempfile.mkdtemp(prefix="memlint-knowledge-bench-"))
    try:
        venv = args.venv.resolve() if args.venv else make_big_venv(work / "big-venv")
        plain = make_project(work, args.files, with_openai=False)
        with_openai = make_project(work, args.files, with_openai=True)
        environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        os.environ.clear()
        os.environ.update(environ)

        # --no-cache: the on-disk result cache would answer every run after the
        # first from its entries, and this measures reading the environment.
        base = [memlint, "check", "--no-cache", "--jobs", "1", "--output-format", "json", "."]
        commands = {
            "a": (base, plain),
            "b": (base + ["--python", str(venv)], plain),
            "c": (base + ["--python", str(venv)], with_openai),
        }
        labels = {
            "a": "default environment",
            "b": "--python big venv, not imported",
            "c": "--python big venv, imports openai.types.chat",
        }
        outputs = {}
        for key, (command, cwd) in commands.items():  # warm-up (page cache, .pyc), and a sanity check
            _, outputs[key] = timed(command, cwd)
        assert outputs["a"] == outputs["b"], "the big environment changed the result of (b)"
        assert outputs["c"].count("ChatCompletion") >= 1, "(c) did not read openai from the big venv"

        summaries = {}
        for key, (command, cwd) in commands.items():
            result = subprocess.run([sys.executable, "-c", COUNT_SUMMARIES, *command[1:]], cwd=str(cwd),
                                    capture_output=True, text=True)
            summaries[key] = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "?"

        times: dict[str, list[float]] = {key: [] for key in commands}
        order = list(commands)
        for round_number in range(args.rounds):
            rotated = order[round_number % 3:] + order[:round_number % 3]
            for key in rotated:
                command, cwd = commands[key]
                times[key].append(timed(command, cwd)[0])

        print()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"machine: {os.cpu_count()} cores (shared; load average {load:.1f} at the end), "
              f"Python {sys.version.split()[0]}, "
              f"{args.rounds} alternating rounds, --jobs 1, {args.files + 1} files per project")
        print(f"big venv: {venv} ({count_modules(venv)} .py/.pyi files: {', '.join(BIG_PACKAGES)} and dependencies)")
        print()
        print(f"{'':4}{'run':48}{'median s':>10}{'min s':>8}{'max s':>8}{'summaries':>11}")
        medians = {}
        for key in commands:
            medians[key] = statistics.median(times[key])
            print(f"({key}) {labels[key]:48}{medians[key]:10.3f}{min(times[key]):8.3f}{max(times[key]):8.3f}"
                  f"{summaries[key]:>11}")
        print()
        print(f"b/a = {medians['b'] / medians['a']:.3f}   c/a = {medians['c'] / medians['a']:.3f}   (ratio of medians)")
        paired_b = statistics.median(b / a for a, b in zip(times["a"], times["b"]))
        paired_c = statistics.median(c / a for a, c in zip(times["a"], times["c"]))
        print(f"b/a = {paired_b:.3f}   c/a = {paired_c:.3f}   (median of the ratios within a round)")
        spread = max((max(t) - min(t)) / statistics.median(t) for t in times.values())
        print(f"largest spread (max-min)/median in one row: {spread:.0%} (noise of a shared machine)")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
