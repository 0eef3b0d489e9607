"""The on-disk cache: identical output, invalidation across modules, missing
modules that appear, corrupt entries, concurrent runs, and Ruff's layout.
Every case runs the `memlint` command for real."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from memlint.cache import DiskCache

AGENT = """\
from flink_agents.api.runner_context import RunnerContext
from models import Reply
import helpers


def act(ctx: RunnerContext, reply: Reply) -> None:
    ctx.sensory_memory.set("reply", reply)
    ctx.sensory_memory.set("made", helpers.make())
"""
OTHER = """\
from uuid import uuid4
from flink_agents.api.runner_context import RunnerContext


def act(ctx: RunnerContext) -> None:
    ctx.sensory_memory.set("id", uuid4())
"""
MODEL = """\
from pydantic import BaseModel


class Reply(BaseModel):
    text: str
"""
NOT_A_MODEL = """\
class Reply:
    text: str
"""


def memlint(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "memlint", "check", ".", *args], cwd=project,
                          capture_output=True, text=True, timeout=300, env=env)


def make_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "agent.py").write_text(AGENT)
    (project / "other.py").write_text(OTHER)
    (project / "models.py").write_text(MODEL)
    return project


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if ".py:" in line]


def entries(project: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (project / ".memlint_cache").rglob("results/*/*.pickle")}


def test_layout_and_identical_output(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    uncached = memlint(project, "--no-cache", "--output-format", "json")
    assert not (project / ".memlint_cache").exists()
    cold = memlint(project, "--output-format", "json")
    warm = memlint(project, "--output-format", "json")
    parallel = memlint(project, "--output-format", "json", "--jobs", "2")
    assert uncached.stdout == cold.stdout == warm.stdout == parallel.stdout
    assert '"MEM102"' in cold.stdout and '"MEM101"' in cold.stdout
    cache = project / ".memlint_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text() == "*\n"
    assert len(entries(project)) == 2  # agent.py and other.py hold memory writes


def test_editing_a_model_module_rechecks_its_importers_only(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = memlint(project)
    assert any("agent.py:7" in line and "MEM102" in line for line in lines(first))
    before = entries(project)
    (project / "models.py").write_text(NOT_A_MODEL)
    second = memlint(project)
    assert any("agent.py:7" in line and "MEM106" in line for line in lines(second))
    assert not any("MEM102" in line for line in lines(second))
    after = entries(project)
    changed = {path for path in after if before.get(path) != after[path]}
    assert len(changed) == 1  # agent.py's entry only; other.py's was reused as it was


def test_a_module_that_appears_is_seen(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert not any("agent.py:8" in line for line in lines(memlint(project)))
    (project / "helpers.py").write_text("import uuid\n\n\ndef make():\n    return uuid.uuid4()\n")
    assert any("agent.py:8" in line and "MEM101" in line for line in lines(memlint(project)))


def test_settings_are_part_of_the_key(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    everything = lines(memlint(project))
    only_uuid = lines(memlint(project, "--select", "MEM101"))
    assert len(everything) == 2 and len(only_uuid) == 1 and "MEM101" in only_uuid[0]
    (project / "memlint.toml").write_text('ignore = ["MEM101"]\n')
    assert [line for line in lines(memlint(project)) if "MEM101" in line] == []


def test_corrupt_and_truncated_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    good = memlint(project).stdout
    pickles = list((project / ".memlint_cache").rglob("*.pickle"))
    assert pickles
    for i, path in enumerate(pickles):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if i % 2 else b"not a pickle")
    damaged = memlint(project)
    assert damaged.returncode == 1 and damaged.stdout == good and damaged.stderr == ""
    assert memlint(project).stdout == good


def test_concurrent_runs_share_one_cache(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    expected = memlint(project, "--no-cache").stdout
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: memlint(project), range(4)))
    assert all(r.stdout == expected and r.stderr == "" for r in results)
    assert not [p for p in (project / ".memlint_cache").rglob("*") if p.name.startswith(".tmp-")]


def test_cache_dir_option_and_environment(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    memlint(project, "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    env = dict(os.environ, MEMLINT_CACHE_DIR=str(tmp_path / "from-env"))
    memlint(project, env=env)
    assert (tmp_path / "from-env" / "CACHEDIR.TAG").is_file()
    assert not (project / ".memlint_cache").exists()


def test_memlint_no_cache_turns_the_cache_off(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    for value in ("1", "true"):
        result = memlint(project, env=dict(os.environ, MEMLINT_NO_CACHE=value))
        assert "MEM102" in result.stdout and not (project / ".memlint_cache").exists(), value
    memlint(project, env=dict(os.environ, MEMLINT_NO_CACHE="0"))
    assert entries(project)


def test_prune_keeps_the_newest_entries(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, "0")
    for i in range(30):
        cache.put_result(f"{i:064x}", [], ())
        path = cache._entry("results", f"{i:064x}")
        os.utime(path, ns=(i * 10**9, i * 10**9))
    cache.prune(limit=20)
    kept = sorted(p.name for p in (tmp_path / "0" / "results").rglob("*.pickle"))
    assert len(kept) == 16 and kept[0] == f"{14:064x}.pickle"


def test_a_stale_dependency_invalidates(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c", "0")
    module = tmp_path / "m.py"
    module.write_text("x = 1\n")
    cache.put_result("k" * 64, ["result"], [("m", str(module))])
    assert cache.get_result("k" * 64, lambda found: True) == ["result"]
    assert cache.get_result("k" * 64, lambda found: False) is None  # "m" now resolves elsewhere
    module.write_text(textwrap.dedent("x = 2\n"))
    assert cache.get_result("k" * 64, lambda found: True) is None


def test_one_process_sees_a_module_created_between_two_passes(tmp_path: Path, monkeypatch) -> None:
    """A long-lived caller (the API, a watcher) checks the same tree twice:
    what the first pass located is not trusted in the second."""
    from dataclasses import replace

    from memlint.config import Config
    from memlint.engine import check_files
    from memlint.prefilter import Settings

    project = make_project(tmp_path)
    monkeypatch.chdir(project)
    settings = replace(Settings.from_config(Config()), cache_dir=str(project / ".memlint_cache"))
    first = check_files(["agent.py", "other.py"], settings)
    assert check_files(["agent.py", "other.py"], settings) == first  # from the cache
    assert not any(d.path == "agent.py" and d.line == 8 for d in first)
    (project / "helpers.py").write_text("import uuid\n\n\ndef make():\n    return uuid.uuid4()\n")
    second = check_files(["agent.py", "other.py"], settings)
    assert any(d.path == "agent.py" and d.line == 8 and d.code == "MEM101" for d in second)


def test_a_miss_is_looked_up_once(tmp_path: Path, monkeypatch) -> None:
    """check_files asks the cache before dispatching; check_file does not ask again."""
    from dataclasses import replace

    from memlint.config import Config
    from memlint.engine import check_files
    from memlint.prefilter import Settings

    project = make_project(tmp_path)
    monkeypatch.chdir(project)
    asked: list[str] = []
    original = DiskCache.get_result

    def counting(self, key, *args, **kwargs):
        asked.append(key)
        return original(self, key, *args, **kwargs)

    monkeypatch.setattr(DiskCache, "get_result", counting)
    settings = replace(Settings.from_config(Config()), cache_dir=str(project / ".memlint_cache"))
    check_files(["agent.py", "other.py"], settings)
    assert len(asked) == 2 and len(set(asked)) == 2


def test_clean_removes_memlint_caches_only(tmp_path: Path) -> None:
    """`memlint clean` (as `ruff clean`): the caches under the directory, in
    subprojects too, and $MEMLINT_CACHE_DIR; a `.memlint_cache` folder memlint
    did not make (no CACHEDIR.TAG of memlint's) is left alone."""
    project = make_project(tmp_path)
    memlint(project)
    sub = project / "services" / "agent"
    sub.mkdir(parents=True)
    (sub / "pyproject.toml").write_text("[project]\nname = 'sub'\n")
    (sub / "agent.py").write_text(OTHER)
    subprocess.run([sys.executable, "-m", "memlint", "check", "."], cwd=sub, capture_output=True, timeout=300)
    foreign = project / "vendor" / ".memlint_cache"
    foreign.mkdir(parents=True)
    (foreign / "keep.txt").write_text("not memlint's\n")
    elsewhere = tmp_path / "elsewhere"
    memlint(project, env=dict(os.environ, MEMLINT_CACHE_DIR=str(elsewhere)))
    assert (project / ".memlint_cache").is_dir() and (sub / ".memlint_cache").is_dir() and elsewhere.is_dir()

    done = subprocess.run([sys.executable, "-m", "memlint", "clean"], cwd=project, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, MEMLINT_CACHE_DIR=str(elsewhere)))
    assert done.returncode == 0, done.stderr
    assert not (project / ".memlint_cache").exists() and not (sub / ".memlint_cache").exists()
    assert not elsewhere.exists()
    assert (foreign / "keep.txt").is_file()
    assert done.stderr.count("Removing cache at:") == 3
    assert (project / "agent.py").is_file() and (sub / "agent.py").is_file()
    missing = subprocess.run([sys.executable, "-m", "memlint", "clean", "no-such-dir"], cwd=project,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no-such-dir" in missing.stderr


def test_a_version_folder_no_run_used_for_a_month_is_removed(tmp_path: Path) -> None:
    """Each memlint build has its own folder; the ones left by builds no run
    used for 30 days go when a run writes (the cache stays bounded across upgrades)."""
    project = make_project(tmp_path)
    memlint(project)
    cache = project / ".memlint_cache"
    current = [p for p in cache.iterdir() if p.is_dir()]
    assert len(current) == 1
    old, recent = cache / "0.0.1-0123456789abcdef", cache / "0.0.2-fedcba9876543210"
    for folder, days in ((old, 31), (recent, 29)):
        (folder / "results" / "ab").mkdir(parents=True)
        (folder / "results" / "ab" / "x.pickle").write_bytes(b"")
        stamp = time.time() - days * 24 * 3600
        os.utime(folder, (stamp, stamp))
    os.utime(current[0], (time.time() - 40 * 24 * 3600,) * 2)  # the folder in use stays, however old
    (project / "other.py").write_text(OTHER + "\n")  # a change, so that the run writes
    memlint(project)
    assert not old.exists() and recent.is_dir() and current[0].is_dir()


def test_fix_reads_the_cached_results(tmp_path: Path) -> None:
    """`--fix` takes what to fix from the cache: a cached result that says a
    file has nothing to fix (doctored here) leaves the file as it is, while
    the other file is fixed; without the cache both are."""
    import pickle

    project = make_project(tmp_path)
    memlint(project)
    for path in (project / ".memlint_cache").rglob("results/*/*.pickle"):
        fmt, key, (diagnostics, dependencies, resolutions) = pickle.loads(path.read_bytes())
        if diagnostics and diagnostics[0].path == "other.py":
            path.write_bytes(pickle.dumps((fmt, key, ([], dependencies, resolutions))))
    fixed = memlint(project, "--fix", "--unsafe-fixes")
    assert fixed.returncode in (0, 1), fixed.stderr
    assert (project / "other.py").read_text() == OTHER  # the cache said: nothing to fix
    assert (project / "agent.py").read_text() != AGENT

    (tmp_path / "fresh").mkdir()
    fresh = make_project(tmp_path / "fresh")
    memlint(fresh, "--fix", "--unsafe-fixes", "--no-cache")
    assert (fresh / "other.py").read_text() != OTHER and "str(uuid4())" in (fresh / "other.py").read_text()


def test_a_cache_folder_shared_with_other_files_loses_only_memlints(tmp_path: Path) -> None:
    """MEMLINT_CACHE_DIR set to a folder that holds other things (here the
    project itself): neither pruning nor `memlint clean` removes anything
    memlint did not make, however old."""
    project = make_project(tmp_path)
    (project / ".gitignore").write_text("build/\n")
    old_notes = project / "notes"
    old_notes.mkdir()
    (old_notes / "todo.txt").write_text("keep\n")
    look_alike = project / "1.0-0123456789abcdef"  # named like a version folder, holding other things
    look_alike.mkdir()
    (look_alike / "data.txt").write_text("keep\n")
    stamp = time.time() - 90 * 24 * 3600
    for folder in (old_notes, look_alike):
        os.utime(folder, (stamp, stamp))
    env = dict(os.environ, MEMLINT_CACHE_DIR=str(project))
    assert "MEM102" in memlint(project, env=env).stdout
    (project / "other.py").write_text(OTHER + "\n")
    memlint(project, env=env)  # writes, so prunes
    assert (old_notes / "todo.txt").is_file() and (look_alike / "data.txt").is_file()
    assert (project / "CACHEDIR.TAG").is_file()

    done = subprocess.run([sys.executable, "-m", "memlint", "clean"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert not (project / "CACHEDIR.TAG").exists()
    assert not [p for p in project.iterdir() if p.is_dir() and p.name.startswith("0.")]  # memlint's version folder
    assert (project / ".gitignore").read_text() == "build/\n"
    assert (old_notes / "todo.txt").is_file() and (look_alike / "data.txt").is_file()
    assert sorted(p.name for p in project.iterdir()) == sorted(
        [".gitignore", "1.0-0123456789abcdef", "agent.py", "models.py", "notes", "other.py", "pyproject.toml"])
