"""Hostile input (issue 10 items 1, 2, 6, 7, 10; issue 9 item 5): no hang, no
blow-up, no traceback; one bad file never costs the others their results.

Every test runs the real thing: the `memlint` command in a subprocess with a
timeout (and, for the nesting cases, an address-space limit), real FIFOs,
real worker processes that really die.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import memlint

GOOD = textwrap.dedent("""\
    import uuid


    def action(event, ctx):
        ctx.short_term_memory.set("request_id", uuid.uuid4())
    """)
WRITE = 'def action(event, ctx):\n    ctx.short_term_memory.set("deep", {})\n'
MEMORY_LIMIT = 2 * 1024 ** 3  # bytes of address space for one memlint run on a hostile file


def _memlint(*args: str, cwd: Path | str, timeout: float = 120, limit_memory: bool = False,
             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, prefix: tuple[str, ...] = (),
             env: dict | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run([*prefix, sys.executable, "-m", "memlint", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, stdin=stdin, timeout=timeout,
                          preexec_fn=limit if limit_memory else None, env=env)


def _text(completed: subprocess.CompletedProcess) -> tuple[str, str]:
    out = completed.stdout.decode("utf-8", "replace") if completed.stdout else ""
    return out, completed.stderr.decode("utf-8", "replace")


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


# -- item 1: nesting that Python rejects (or nearly) -----------------------------

NESTED = {
    "dict_5000": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", ' + '{"a": ' * 5000 + "1"
                 + "}" * 5000 + ")\n",
    "tuple_5000": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", ' + "tuple(" * 5000 + ")" * 5000
                  + ")\n",
    "ifexp_50000": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", ' + "x if a else " * 50000
                   + "x)\n",
    "attribute_50000": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", a' + ".b" * 50000 + ")\n",
    "plus_50000": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", a' + "+a" * 50000 + ")\n",
    "elif_12000": "def action(event, ctx, x):\n    if x == 0:\n        ctx.short_term_memory.set('k', 0)\n" + "".join(
        f"    elif x == {i}:\n        ctx.short_term_memory.set('k', {i})\n" for i in range(1, 12001)),
    # Python accepts this one (its limit is about 3,000 levels), far deeper than real code: not analyzed either.
    "subscript_1500": 'def action(event, ctx):\n    ctx.short_term_memory.set("d", a' + "[0]" * 1500 + ")\n",
}


@pytest.fixture(scope="module")
def nested_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nested")
    for name, text in NESTED.items():
        (folder / f"{name}.py").write_text(text)
    (folder / "good.py").write_text(GOOD)
    return folder


@pytest.mark.parametrize("name", sorted(NESTED))
def test_deep_nesting_is_one_mem000_fast_and_bounded(nested_dir: Path, name: str) -> None:
    started = time.monotonic()
    completed = _memlint("check", "--no-cache", f"{name}.py", cwd=nested_dir, timeout=60, limit_memory=True)
    elapsed = time.monotonic() - started
    out, err = _text(completed)
    _no_traceback(err)
    assert completed.returncode == 1, (out, err)
    lines = [line for line in out.splitlines() if line.startswith(f"{name}.py:")]
    assert len(lines) == 1 and " MEM000 " in lines[0], out
    assert elapsed < 30, elapsed


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_files_cost_the_others_nothing(nested_dir: Path, jobs: str) -> None:
    completed = _memlint("check", "--no-cache", "--jobs", jobs, ".", cwd=nested_dir, timeout=120,
                         limit_memory=True)
    out, err = _text(completed)
    _no_traceback(err)
    assert completed.returncode == 1, (out, err)
    mem000 = sorted(line.split(":", 1)[0] for line in out.splitlines() if " MEM000 " in line)
    assert mem000 == sorted(f"{name}.py" for name in NESTED)
    assert any(line.startswith("good.py:5:") and " MEM101 " in line for line in out.splitlines()), out


def test_nesting_real_code_has_is_analyzed(tmp_path: Path) -> None:
    """The bound is far above real code: 300 chained operators and a 150-branch
    elif chain are analyzed as usual."""
    chain = " + ".join(["1"] * 300)
    branches = "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, 150))
    (tmp_path / "a.py").write_text(textwrap.dedent(f"""\
        import uuid


        def action(event, ctx, x):
            total = {chain}
            if x == 0:
                pass
        """) + branches + '    ctx.short_term_memory.set("id", uuid.uuid4())\n'
        '    ctx.short_term_memory.set("total", total)\n')
    found = memlint.lint_paths([tmp_path / "a.py"])
    assert [d.code for d in found] == ["MEM101"]


def test_mem000_when_the_source_is_given_as_text() -> None:
    """The API and the language server get the same MEM000 (lint_source)."""
    found = memlint.lint_source(NESTED["plus_50000"])
    assert [d.code for d in found] == ["MEM000"]


# -- item 1 / issue 9 item 5: a worker that dies, an internal error --------------

CRASH_HARNESS = textwrap.dedent("""\
    import os, sys
    import memlint.engine as engine
    original = engine.check_file
    def check_file(path, *args):
        if os.path.basename(path) == "poison.py":
            {action}
        return original(path, *args)
    engine.check_file = check_file
    from memlint.cli import main
    sys.exit(main(sys.argv[1:]))
    """)


def _project(tmp_path: Path, count: int = 12) -> Path:
    for i in range(count):
        (tmp_path / f"m{i:02}.py").write_text(GOOD)
    (tmp_path / "poison.py").write_text(GOOD)
    return tmp_path


def _run_harness(tmp_path: Path, action: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path.parent / f"harness_{tmp_path.name}.py"
    script.write_text(CRASH_HARNESS.format(action=action))
    return subprocess.run([sys.executable, str(script), "check", "--no-cache", *args, "."], cwd=tmp_path,
                          capture_output=True, timeout=180)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_internal_error_is_reported_for_its_file_and_the_run_goes_on(tmp_path: Path, jobs: str) -> None:
    project = _project(tmp_path)
    completed = _run_harness(project, 'raise KeyError("boom")', "--jobs", jobs)
    out, err = _text(completed)
    assert completed.returncode == 2, (out, err)
    assert sum(" MEM101 " in line for line in out.splitlines()) == 12, out  # every other file's result
    error_lines = [line for line in err.splitlines() if line.startswith("memlint: error:")]
    assert len(error_lines) == 1, err
    assert "poison.py: internal error: KeyError: 'boom'" in error_lines[0] and "report" in error_lines[0]
    _no_traceback(err)
    verbose = _run_harness(project, 'raise KeyError("boom")', "--jobs", jobs, "-v")
    assert verbose.returncode == 2
    assert "Traceback" in _text(verbose)[1]


def test_internal_error_exits_2_even_with_exit_zero(tmp_path: Path) -> None:
    completed = _run_harness(_project(tmp_path), "raise RuntimeError('x')", "--exit-zero")
    assert completed.returncode == 2


def test_a_worker_that_dies_costs_the_others_nothing(tmp_path: Path) -> None:
    """os.abort() in a worker breaks the process pool (BrokenProcessPool): the
    files in flight are checked again one by one, the one that kills its
    process is an internal error, every other result is kept."""
    project = _project(tmp_path, count=30)
    completed = _run_harness(project, "os.abort()", "--jobs", "2")
    out, err = _text(completed)
    assert completed.returncode == 2, (out, err)
    assert sum(" MEM101 " in line for line in out.splitlines()) == 30, out
    assert "poison.py: internal error: the worker process checking this file was killed by SIGABRT" in err, err
    assert "BrokenProcessPool" not in err


def test_api_keeps_results_when_a_worker_dies(tmp_path: Path, monkeypatch) -> None:
    import faulthandler

    import memlint.engine as engine
    from memlint.isolation import InternalError

    project = _project(tmp_path, count=20)
    original = engine.check_file

    def check_file(path, *args):
        if os.path.basename(path) == "poison.py":
            faulthandler.disable()  # no "Fatal Python error" dump from the dying worker
            os.abort()  # in the forked worker only (the test process never checks poison.py itself)
        return original(path, *args)

    monkeypatch.setattr(engine, "check_file", check_file)
    errors: list = []
    found = memlint.lint_paths([project], jobs=2, errors=errors)
    assert len([d for d in found if d.code == "MEM101"]) == 20
    assert [(Path(e.path).name, type(e)) for e in errors] == [("poison.py", InternalError)]
    with pytest.warns(RuntimeWarning, match="poison.py: internal error"):
        again = memlint.lint_paths([project], jobs=2)
    assert len(again) == 20


PATCH_HARNESS = textwrap.dedent("""\
    import sys
    import {module} as target
    def broken(*args, **kwargs):
        raise KeyError("boom")
    original = target.{name}
    def patched(path, *args, **kwargs):
        return (broken if str(path).endswith("poison.py") else original)(path, *args, **kwargs)
    target.{name} = patched
    from memlint.cli import main
    sys.exit(main(sys.argv[1:]))
    """)


def _run_patched(tmp_path: Path, module: str, name: str, *args: str, stdin: bytes | None = None):
    script = tmp_path.parent / f"patch_{tmp_path.name}.py"
    script.write_text(PATCH_HARNESS.format(module=module, name=name))
    return subprocess.run([sys.executable, str(script), "check", "--no-cache", *args], cwd=tmp_path,
                          capture_output=True, timeout=180, input=stdin)


def test_internal_error_while_fixing_one_file(tmp_path: Path) -> None:
    project = _project(tmp_path, count=3)
    completed = _run_patched(project, "memlint.fix.apply", "fix_file", "--fix", "--unsafe-fixes", ".")
    out, err = _text(completed)
    assert completed.returncode == 2, (out, err)
    assert "poison.py: internal error: KeyError: 'boom'" in err and "Traceback" not in err
    assert all("str(uuid.uuid4())" in (project / f"m{i:02}.py").read_text() for i in range(3))  # fixed
    assert (project / "poison.py").read_text() == GOOD


def test_internal_error_on_stdin(tmp_path: Path) -> None:
    completed = _run_patched(tmp_path, "memlint.engine", "check_text", "--stdin-filename", "poison.py", "-",
                             stdin=GOOD.encode())
    out, err = _text(completed)
    assert completed.returncode == 2, (out, err)
    assert "poison.py: internal error: KeyError: 'boom'" in err and "Traceback" not in err


# -- item 2: FIFOs and other non-regular files -----------------------------------


def test_a_fifo_in_a_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    os.mkfifo(tmp_path / "x.py")
    for jobs in ("1", "2"):
        completed = _memlint("check", "--no-cache", "--jobs", jobs, ".", cwd=tmp_path, timeout=60)
        out, err = _text(completed)
        assert completed.returncode == 1, (out, err)
        assert "good.py:5:" in out and "x.py" not in out


@pytest.mark.parametrize("target", ["fifo", "/dev/null"])
def test_a_named_non_regular_file_is_an_error(tmp_path: Path, target: str) -> None:
    if target == "fifo":
        os.mkfifo(tmp_path / "x.py")
        target = "x.py"
    completed = _memlint("check", "--no-cache", target, cwd=tmp_path, timeout=60)
    out, err = _text(completed)
    assert completed.returncode == 2, (out, err)
    assert err.strip() == f"memlint: error: {target}: not a regular file or directory"
    assert "All checks passed" not in out


def test_piped_dev_stdin_is_an_error(tmp_path: Path) -> None:
    completed = subprocess.run(f"echo 'x = 1' | {sys.executable} -m memlint check --no-cache /dev/stdin",
                               shell=True, cwd=tmp_path, capture_output=True, timeout=60)
    assert completed.returncode == 2
    assert b"not a regular file" in completed.stderr


def test_reading_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    """A FIFO that appears after discovery (or handed to the engine directly)."""
    from memlint.config import Config
    from memlint.engine import Settings, check_files
    from memlint.source import NotRegularFile, read_bytes

    fifo = tmp_path / "late.py"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile):
        read_bytes(str(fifo))
    found = check_files([str(fifo)], Settings.from_config(Config()))
    assert [(d.code, d.message) for d in found] == [("MEM000", "cannot read the file: not a regular file")]


# -- item 6: the API after lint_source, with workers -----------------------------


def test_api_lint_source_then_lint_paths_with_workers_does_not_hang(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"m{i}.py").write_text(GOOD)
    script = textwrap.dedent(f"""\
        import memlint
        assert len(memlint.lint_source({GOOD!r})) == 1
        print(len(memlint.lint_paths([{str(tmp_path)!r}], jobs=2)))
        """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().strip() == "10"


# -- item 7: one clear line instead of a traceback --------------------------------


def _one_error_line(completed: subprocess.CompletedProcess, *expected: str) -> str:
    out, err = _text(completed)
    _no_traceback(err)
    assert completed.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memlint: error: "), err
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


def test_unreadable_folder_as_non_root(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "good.py").write_text(GOOD)
    locked.chmod(0)
    try:
        prefix: tuple[str, ...] = ()
        if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
            setpriv = shutil.which("setpriv")
            assert setpriv, "setpriv (util-linux) is needed to run this test as root"
            prefix = (setpriv, "--bounding-set", "-dac_override,-dac_read_search")
        completed = _memlint("check", "--no-cache", "locked", cwd=tmp_path, prefix=prefix)
        _one_error_line(completed, "locked", "Permission denied")
    finally:
        locked.chmod(0o755)


def test_invalid_utf8_configuration_files(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    bad = b'select = ["MEM\xff"]\n'
    (tmp_path / "memlint.toml").write_bytes(bad)
    _one_error_line(_memlint("check", "--no-cache", ".", cwd=tmp_path), "memlint.toml", "not valid UTF-8")
    _one_error_line(_memlint("check", "--no-cache", "--config", "memlint.toml", "good.py", cwd=tmp_path),
                    "memlint.toml", "not valid UTF-8")
    (tmp_path / "memlint.toml").unlink()
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\nname = '\xff'\n")
    _one_error_line(_memlint("check", "--no-cache", ".", cwd=tmp_path), "pyproject.toml", "not valid UTF-8")


def test_sarif_with_a_non_utf8_file_name(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"b\xffd.py"), "w") as handle:
        handle.write(GOOD)
    completed = _memlint("check", "--no-cache", "--output-format", "sarif", ".", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    log = json.loads(completed.stdout)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert uris == ["b%FFd.py"]
    text = _memlint("check", "--no-cache", ".", cwd=tmp_path)
    assert text.returncode == 1 and text.stdout.startswith(b"b\xffd.py:5:")  # the name's own bytes


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_lone_surrogate_in_a_message(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "s.py").write_text(GOOD.replace('"request_id"', '"a\\ud800b"'))
    completed = _memlint("check", "--no-cache", "--output-format", output_format, "s.py", cwd=tmp_path)
    out, err = _text(completed)
    _no_traceback(err)
    assert completed.returncode == 1 and "a\\ud800b" in out, (out, err)


def test_lone_surrogate_in_source_given_to_the_api() -> None:
    found = memlint.lint_source(GOOD + "# \ud800\n")
    assert [d.code for d in found] == ["MEM000"] and "surrogate" in found[0].message
    named = memlint.lint_source(GOOD, path="agent\ud800.py")
    assert [(d.path, d.code) for d in named] == [("agent\ud800.py", "MEM101")]


def test_absurd_jobs(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"m{i}.py").write_text(GOOD)
    completed = _memlint("check", "--no-cache", "--jobs", "9999999999", ".", cwd=tmp_path, timeout=120)
    out, err = _text(completed)
    _no_traceback(err)
    assert completed.returncode == 1 and out.count(" MEM101 ") == 10, (out, err)


def test_over_long_path(tmp_path: Path) -> None:
    _one_error_line(_memlint("check", "--no-cache", "a/" * 3000, cwd=tmp_path), "File name too long")


def test_deleted_working_directory(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (f"import os, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
              f"from memlint.cli import main; sys.exit(main(['check', '--no-cache', {str(tmp_path / 'good.py')!r}]))")
    completed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, timeout=60)
    _one_error_line(completed, "current directory")


def test_stdout_on_a_full_disk(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    with open("/dev/full", "wb") as full:
        completed = _memlint("check", "--no-cache", "good.py", cwd=tmp_path, stdout=full)
    _one_error_line(completed, "No space left on device")


# -- item 10: nothing checked ---------------------------------------------------


@pytest.mark.parametrize("case", ["empty folder", "exclude everything", "no rule selected"])
def test_nothing_checked_is_said(tmp_path: Path, case: str) -> None:
    args = ["check", "--no-cache"]
    if case == "empty folder":
        (tmp_path / "empty").mkdir()
        args.append("empty")
    elif case == "exclude everything":
        (tmp_path / "good.py").write_text(GOOD)
        (tmp_path / "memlint.toml").write_text('exclude = ["*"]\n')
        args.append(".")
    else:
        (tmp_path / "good.py").write_text(GOOD)
        args += ["--select", "", "."]
    completed = _memlint(*args, cwd=tmp_path)
    out, err = _text(completed)
    assert completed.returncode == 0, (out, err)
    assert "All checks passed" not in out
    assert err.startswith("memlint: warning: ") and "nothing was checked" in err


def test_files_without_memory_writes_still_pass(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("x = 1\n")
    completed = _memlint("check", "--no-cache", ".", cwd=tmp_path)
    assert completed.returncode == 0 and b"All checks passed!" in completed.stdout
    assert completed.stderr == b""
