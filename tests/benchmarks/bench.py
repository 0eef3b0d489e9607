"""Benchmark: `memlint check` against a libcst parse-only loop over the same files.

Not collected by pytest. Run from the repository root:

    python tests/benchmarks/bench.py                 # whole stdlib, 3 rounds (~25 min on 2 cores)
    python tests/benchmarks/bench.py --skip-tests --rounds 2   # without test/ (~5 min)
    python tests/benchmarks/bench.py --limit 300 --rounds 5

Corpora (made in a temporary directory):
  (a) a copy of the running interpreter's standard library;
  (b) the same copy with a small agent action appended to every file: memory
      writes of a pydantic model and an Enum imported from a sibling module,
      so every file is parsed and analyzed (memory-dense).

In each round the commands run one after another, alternating, so slow drift
of the machine affects both; medians are reported with the spread. Also
measured: a warm re-run over (b) from the on-disk cache, one file without a
memory write against `python -c pass`, and flake8 on files without memory
writes in two fresh virtualenvs, with and without memlint installed. `--baseline PYTHON`
runs another memlint (say, the last release) in the same rounds. Targets
(issues 2 and 8): (a) <= 0.02x parse-only, (b) <= 0.5x parse-only (one
process, no cache), peak memory on (a) < 500 MB, --jobs 2 output identical
to --jobs 1 and >= 1.6x faster on (b), warm <= 0.05x cold, one clean file
<= 4x `python -c pass`, flake8 with memlint <= 1.1x without.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

SIBLING = "_memlint_bench_models"
SIBLING_SOURCE = '''"""Models for the memlint benchmark's appended agent actions."""
from enum import Enum
from uuid import UUID

from pydantic import BaseModel


class BenchStatus(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class BenchOrder(BaseModel):
    id: UUID
    status: BenchStatus
    total: float
'''
ACTION = '''

# --- appended by memlint's benchmark -------------------------------------
from {dot}{sibling} import BenchOrder as _BenchOrder, BenchStatus as _BenchStatus


def _memlint_bench_action(event, ctx, order: _BenchOrder) -> None:
    seen = ctx.short_term_memory.get("bench.seen") or {{}}
    seen[str(order.id)] = order.status
    ctx.short_term_memory.set("bench.seen", seen)
    ctx.short_term_memory.set("bench.order", order)
    ctx.short_term_memory.set("bench.order_json", order.model_dump(mode="json"))
    ctx.sensory_memory.set("bench.status", _BenchStatus.OPEN.value)
    ctx.sensory_memory.set("bench.total", order.total * 2)
'''

PARSE_ONLY = r'''
import sys, tokenize, libcst
count = 0
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    try:
        with tokenize.open(path) as handle:
            text = handle.read()
    except (SyntaxError, UnicodeDecodeError, OSError):
        continue
    try:
        libcst.parse_module(text)
        count += 1
    except Exception:
        pass
print(count, file=sys.stderr)
'''


def python_files(root: Path) -> list[Path]:
    skip = {"site-packages", "__pycache__", "test", "tests", "idlelib", "lib2to3", "turtledemo"}
    result = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in skip)
        for name in sorted(files):
            if name.endswith(".py"):
                result.append(Path(directory) / name)
    return result


def make_corpora(workdir: Path, limit: int | None, full_stdlib: bool) -> tuple[Path, Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = python_files(stdlib) if not full_stdlib else sorted(stdlib.rglob("*.py"))
    files = [f for f in files if "site-packages" not in f.parts]
    if limit:
        files = files[:limit]
    plain, dense = workdir / "a_stdlib", workdir / "b_dense"
    sibling_dirs: set[Path] = set()
    for source in files:
        relative = source.relative_to(stdlib)
        for target_root in (plain, dense):
            target = target_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        dense_file = dense / relative
        directory = dense_file.parent
        is_package = (directory / "__init__.py").exists() or (stdlib / relative).parent.joinpath("__init__.py").exists()
        if directory not in sibling_dirs:
            (directory / f"{SIBLING}.py").write_text(SIBLING_SOURCE, encoding="utf-8")
            sibling_dirs.add(directory)
        with open(dense_file, "ab") as handle:
            handle.write(ACTION.format(dot="." if is_package else "", sibling=SIBLING).encode("ascii"))
    return plain, dense


def file_list(root: Path, workdir: Path) -> Path:
    listing = workdir / f"{root.name}.files"
    listing.write_text("\n".join(str(p) for p in sorted(root.rglob("*.py"))), encoding="utf-8")
    return listing


def run(command: list[str], cwd: Path) -> tuple[float, int, bytes]:
    """Wall time (s), peak RSS (KiB) of the process tree's largest member, stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed with exit {process.returncode}")
    return elapsed, usage.ru_maxrss, out


def describe(samples: list[float]) -> str:
    return f"median {statistics.median(samples):7.2f}s (min {min(samples):.2f}, max {max(samples):.2f})"


def flake8_environments(workdir: Path) -> tuple[Path, Path]:
    """Two fresh virtualenvs with the same flake8 as this interpreter's, one
    also with memlint (this checkout, installed as a user installs it): the
    same start-up cost but for the plugin. (The interpreter running this
    script has other `.pth` files and packages; comparing against it would
    measure the environments as much as the plugin.)"""
    from importlib.metadata import version

    pins = [f"flake8=={version('flake8')}"]
    pythons = []
    for name, extra in (("flake8-only", []), ("flake8-memlint", [str(Path(__file__).resolve().parents[2])])):
        venv = workdir / name
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pins, *extra], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
        subprocess.run([str(python), "-m", "compileall", "-q", str(venv / "lib")], stdout=subprocess.DEVNULL)
        pythons.append(python)
    return pythons[0], pythons[1]


def compile_memlint() -> str:
    """Compile memlint's modules to bytecode, as `pip install` does when it
    installs a wheel. An editable install gets no bytecode from pip, and with
    PYTHONDONTWRITEBYTECODE set (as on this machine) Python never writes it:
    every run would compile memlint anew, which no installed copy does."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("memlint")
    folders = list(spec.submodule_search_locations or []) if spec else []
    plugin = importlib.util.find_spec("memlint.plugin")
    folders += list(plugin.submodule_search_locations or []) if plugin else []
    done = all(compileall.compile_dir(folder, quiet=1) for folder in folders)
    state = "compiled" if done and folders else "NOT compiled"
    return f"memlint's modules ({', '.join(folders)}): bytecode {state}, as pip install does"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N stdlib files")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="workers for the parallel run")
    parser.add_argument("--skip-tests", action="store_true",
                        help="leave out test/, idlelib, lib2to3 and turtledemo (a quicker, smaller corpus)")
    parser.add_argument("--baseline", default=None, metavar="PYTHON",
                        help="an interpreter with another memlint installed (e.g. the last release): "
                             "its runs are measured in the same rounds, side by side")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not compile memlint's modules to bytecode first (an editable install under "
                             "PYTHONDONTWRITEBYTECODE then compiles them on every start)")
    args = parser.parse_args()
    if not args.no_compile:
        print(compile_memlint(), flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="memlint-bench-"))
    try:
        plain, dense = make_corpora(workdir, args.limit, not args.skip_tests)
        lines = sum(p.read_bytes().count(b"\n") for p in plain.rglob("*.py"))
        count = len(list(plain.rglob("*.py")))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; corpus (a): {count} files, "
              f"{lines} lines; (b): the same + one appended action each; {args.rounds} rounds")
        memlint = [sys.executable, "-m", "memlint", "check", "--exit-zero", "--output-format", "json"]
        cold = memlint + ["--no-cache"]
        warm_dir = workdir / "cache"
        warm = memlint + ["--cache-dir", str(warm_dir)]
        parse_only = [sys.executable, "-c", PARSE_ONLY]
        results: dict[str, list[float]] = {}
        peaks: dict[str, int] = {}
        outputs: dict[str, bytes] = {}
        commands = {
            "a.parse": parse_only + [str(file_list(plain, workdir))],
            "a.memlint": cold + ["--jobs", "1", str(plain)],
            "b.parse": parse_only + [str(file_list(dense, workdir))],
            "b.memlint": cold + ["--jobs", "1", str(dense)],
            "b.memlint.jobs": cold + ["--jobs", str(args.jobs), str(dense)],
            "b.warm": warm + ["--jobs", "1", str(dense)],
        }
        if args.baseline:
            baseline = [args.baseline, "-m", "memlint", "check", "--exit-zero", "--output-format", "json"]
            help_text = subprocess.run(baseline[:4] + ["--help"], capture_output=True, text=True).stdout
            if "--no-cache" in help_text:  # a build with a cache: cold runs without it, warm ones with their own
                baseline_warm = baseline + ["--cache-dir", str(workdir / "baseline-cache"), "--jobs", "1", str(dense)]
                baseline = baseline + ["--no-cache"]
                commands["b.baseline.warm"] = baseline_warm
                run(baseline_warm, workdir)
            commands["a.baseline"] = baseline + ["--jobs", "1", str(plain)]
            commands["b.baseline"] = baseline + ["--jobs", "1", str(dense)]
        run(warm + ["--jobs", "1", str(dense)], workdir)  # fill the cache the warm runs read
        for round_number in range(args.rounds):
            for name, command in commands.items():
                elapsed, peak, out = run(command, workdir)
                results.setdefault(name, []).append(elapsed)
                peaks[name] = max(peaks.get(name, 0), peak)
                outputs[name] = out
            print(f"round {round_number + 1}: " + ", ".join(f"{n} {results[n][-1]:.2f}s" for n in commands), flush=True)

        # Start-up: one file without a memory write, and flake8 on such files.
        clean = workdir / "clean"
        clean.mkdir()
        for i in range(20):
            (clean / f"module_{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
        one_clean = [sys.executable, "-m", "memlint", "check", "--no-cache", str(clean / "module_0.py")]
        bare = [sys.executable, "-c", "pass"]
        without_python, with_python = flake8_environments(workdir)
        with_plugin = [str(with_python), "-m", "flake8", "--select", "E,F", str(clean)]
        without_plugin = [str(without_python), "-m", "flake8", "--select", "E,F", str(clean)]
        plugins = subprocess.run(with_plugin[:3] + ["--version"], capture_output=True, text=True).stdout
        assert "memlint" in plugins, f"memlint's flake8 plugin is not registered: {plugins}"
        startup: dict[str, list[float]] = {}
        # Short commands: each run alternates with the others (drift and
        # bursts of load from elsewhere then hit all four alike), 10 per round.
        for _ in range(args.rounds * 10):
            for name, command in (("python -c pass", bare), ("memlint, one clean file", one_clean),
                                  ("flake8 without memlint", without_plugin), ("flake8 with memlint", with_plugin)):
                startup.setdefault(name, []).append(run(command, workdir)[0])

        median = {name: statistics.median(samples) for name, samples in results.items()}
        print()
        for name in commands:
            print(f"{name:16} {describe(results[name])}  peak RSS {peaks[name] / 1024:.0f} MB")
        for name, samples in startup.items():
            print(f"{name:24} {describe(samples)}")
        print()
        start = {name: statistics.median(samples) for name, samples in startup.items()}
        ratio_a = median["a.memlint"] / median["a.parse"]
        ratio_b = median["b.memlint"] / median["b.parse"]
        speedup = median["b.memlint"] / median["b.memlint.jobs"]
        findings = outputs["b.memlint"].count(b'"code"')
        identical = outputs["b.memlint"] == outputs["b.memlint.jobs"] == outputs["b.warm"]
        print(f"(a) memlint / parse-only      = {ratio_a:.3f}x   (target <= 0.02)")
        print(f"(b) memlint / parse-only      = {ratio_b:.3f}x   (target <= 0.5)")
        if args.baseline:
            print(f"(a) baseline / parse-only     = {median['a.baseline'] / median['a.parse']:.3f}x")
            print(f"(b) baseline / parse-only     = {median['b.baseline'] / median['b.parse']:.3f}x")
            if "b.baseline.warm" in median:
                print(f"(b) baseline warm / cold      = {median['b.baseline.warm'] / median['b.baseline']:.3f}x   "
                      f"(memlint warm / baseline warm = {median['b.warm'] / median['b.baseline.warm']:.2f}x)")
        print(f"(a) memlint peak memory       = {peaks['a.memlint'] / 1024:.0f} MB   (target < 500)")
        print(f"(b) --jobs 1 / --jobs {args.jobs}         = {speedup:.2f}x   (target >= 1.6 on 2 cores)")
        print(f"(b) warm (cache) / cold       = {median['b.warm'] / median['b.memlint']:.3f}x   (target <= 0.05)")
        print(f"one clean file / python -c pass = {start['memlint, one clean file'] / start['python -c pass']:.2f}x"
              "   (target <= 4)")
        print(f"flake8 with / without memlint   = {start['flake8 with memlint'] / start['flake8 without memlint']:.2f}x"
              "   (target <= 1.1)")
        print(f"(b) --jobs {args.jobs}, warm and cold output identical: {identical} ({findings} diagnostics)")
        return 0 if identical else 1
    finally:
        if args.keep:
            print(f"corpora kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
