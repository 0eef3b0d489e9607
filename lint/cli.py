"""The `memlint` command: `check`, `rule`, `lsp`.

Exit codes (like Ruff): 0 nothing found, 1 diagnostics found, 2 usage,
configuration or internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from .config import ConfigError

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(message)


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False: an abbreviated long option is an error, never another option.
    parser = _Parser(prog="memlint", description="Keep Apache Flink Agents memory checkpoint-safe.",
                     allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"memlint {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = commands.add_parser("check", help="check files for memory writes that will not survive a restore",
                                allow_abbrev=False)
    check.add_argument("paths", nargs="*", default=None, help="files or directories (default: .)")
    check.add_argument("--select", type=_codes, default=None, metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable (replaces the configured set)")
    check.add_argument("--ignore", type=_codes, default=None, metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, default=None, metavar="CODES",
                       help="rule codes or prefixes to enable in addition")
    check.add_argument("--output-format", default="concise", metavar="FORMAT",
                       help="concise (default; `text` is an alias), full, grouped, json, json-lines, sarif, github, "
                            "gitlab, junit or pylint")
    check.add_argument("--output-file", "-o", default=None, metavar="FILE",
                       help="write the report to FILE instead of stdout")
    check.add_argument("--color", default="auto", choices=("auto", "always", "never"),
                       help="colour the text formats: auto (default: on a terminal, unless NO_COLOR is set or "
                            "FORCE_COLOR asks for it), always or never")
    check.add_argument("--stdin-filename", default=None, metavar="PATH",
                       help="with `-` as the path: the file the text read from stdin stands for (decides its "
                            "configuration, per-file-ignores and module name); with --fix the fixed text goes to "
                            "stdout")
    check.add_argument("--show-files", action="store_true", help="print the files that would be checked, then exit")
    check.add_argument("--respect-gitignore", dest="respect_gitignore", action="store_true", default=None,
                       help="skip what .gitignore, .ignore and .git/info/exclude ignore (the default)")
    check.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false",
                       help="check files that .gitignore, .ignore or .git/info/exclude ignore too")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="with --fix: exit 1 when a file was fixed, even if nothing remains")
    check.add_argument("--statistics", action="store_true", help="show counts per rule instead of each diagnostic")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics are found")
    check.add_argument("--strict", action="store_true", default=None,
                       help="also report values memlint cannot prove primitive (MEM900)")
    check.add_argument("--config", default=None, metavar="FILE", help="a pyproject.toml or memlint.toml to use")
    check.add_argument("--add-noqa", action="store_true",
                       help="append `# noqa: CODE` to every flagged line (adopt memlint on a legacy codebase)")
    check.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                       help="worker processes (default: all cores)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply exclude patterns to files named on the command line too")
    check.add_argument("--quiet", "-q", action="store_true", help="print diagnostics only, no summary line")
    check.add_argument("--fix", action="store_true",
                       help="apply safe fixes (and unsafe ones with --unsafe-fixes); exit 1 only if diagnostics remain")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="also apply (with --fix or --diff) and show as fixable the fixes whose readers may "
                            "observe a different value")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff instead of writing them; exit 1 if there is any")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied, per file and rule")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the cache (also $MEMLINT_NO_CACHE=1)")
    check.add_argument("--cache-dir", default=None, metavar="DIR",
                       help="where to cache results (default: $MEMLINT_CACHE_DIR, else .memlint_cache at the "
                            "project root)")
    check.add_argument("--python", default=None, metavar="PATH",
                       help="the interpreter or virtual environment whose installed packages memlint reads "
                            "(default: $VIRTUAL_ENV, a .venv/venv at the project root, the interpreter memlint runs in)")
    check.add_argument("--show-settings", action="store_true",
                       help="print the effective settings and where memlint's knowledge comes from, then exit")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="also print where memlint's knowledge comes from (on stderr)")

    rule = commands.add_parser("rule", help="show a rule's documentation", allow_abbrev=False)
    rule.add_argument("code", nargs="?", help="a rule code or name, e.g. MEM101 or uuid-value")
    rule.add_argument("--all", action="store_true", help="show every rule")
    rule.add_argument("--output-format", default="text", choices=("text", "json"), help="text (markdown) or json")

    commands.add_parser("lsp", help="run the language server on stdio", allow_abbrev=False)

    clean = commands.add_parser("clean", help="remove memlint's caches under the given directories (as `ruff clean`)",
                                allow_abbrev=False)
    clean.add_argument("paths", nargs="*", default=None, help="directories to search (default: .)")
    clean.add_argument("--cache-dir", default=None, metavar="DIR",
                       help="also remove this cache folder (and $MEMLINT_CACHE_DIR when set)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _tolerate_surrogates()
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            code = _check(args)
            sys.stdout.flush()  # a full disk is reported here, not as a traceback at exit
            return EXIT_ERROR if getattr(args, "internal_errors", None) else code
        if args.command == "rule":
            return _rule(args)
        if args.command == "clean":
            return _clean(args)
        if args.command == "lsp":
            from .plugin.lsp import main as lsp_main

            lsp_main()
            return EXIT_CLEAN
        build_parser().print_help()
        return EXIT_ERROR
    except UsageError as exc:
        print(f"memlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ConfigError as exc:  # a nested project's configuration, met during the run
        print(f"memlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
    except OSError as exc:  # stdout on a full disk, a deleted working directory, a path too long, ...
        _drop_stdout()
        print(f"memlint: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _clean(args: argparse.Namespace) -> int:
    """`memlint clean`: every memlint cache folder under the paths (a
    `.memlint_cache` holding memlint's CACHEDIR.TAG; a folder of that name
    without it is left alone), the one --cache-dir names and $MEMLINT_CACHE_DIR."""
    from .cache import find_caches, remove_cache

    paths = args.paths or ["."]
    for path in paths:
        if not os.path.isdir(path):
            raise UsageError(f"{path}: not a directory")
    extra = [folder for folder in (args.cache_dir, os.environ.get("MEMLINT_CACHE_DIR")) if folder]
    for folder in find_caches(paths, extra):
        print(f"Removing cache at: {folder}", file=sys.stderr)
        remove_cache(folder)
    return EXIT_CLEAN


def _os_error(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        name = os.fsdecode(exc.filename)
        if len(name) > 200:  # an over-long path: its ends say which
            name = f"{name[:80]}...{name[-80:]}"
        return f"{name}: {reason}"
    return f"cannot write the output: {reason}" if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT,
                                                                 errno.EFBIG) else reason


def _drop_stdout() -> None:
    """After stdout failed: send what is still buffered to /dev/null, so that
    the interpreter's flush at exit does not print a traceback."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):
        pass


def _surrogates(error: UnicodeError):
    """Encode error handler for output: a surrogate escape (a file name's
    undecodable byte) becomes that byte again, any other lone surrogate \\uXXXX."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = bytearray()
    for char in error.object[error.start:error.end]:
        code = ord(char)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}".encode()
    return bytes(out), error.end


def _tolerate_surrogates() -> None:
    import codecs

    try:
        codecs.lookup_error("memlint-surrogates")
    except LookupError:
        codecs.register_error("memlint-surrogates", _surrogates)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and getattr(sys.stdout, "errors", "") in ("strict", "surrogateescape"):
        try:
            reconfigure(errors="memlint-surrogates")
        except (ValueError, OSError):
            pass


def _load_config(args: argparse.Namespace):
    from .config import ConfigError, check_codes, load_config

    try:
        if args.config is not None:
            if not os.path.isfile(args.config):
                raise UsageError(f"--config: {args.config}: no such file")
            config = load_config(Path(args.config))
        else:
            first = args.stdin_filename if _reads_stdin(args) else (args.paths[0] if args.paths else None)
            start = Path(first) if first else Path.cwd()
            start = start if start.is_dir() else start.parent
            config = load_config(start=start if start.exists() else Path.cwd())
        updates: dict = {}
        for option, attribute in (("select", "select"), ("ignore", "ignore"), ("extend_select", "extend_select")):
            value = getattr(args, option)
            if value is not None:
                check_codes(value, "--" + option.replace("_", "-"))
                updates[attribute] = tuple(value)
        if args.strict:
            updates["strict"] = True
        if args.python:
            from .knowledge import EnvironmentProblem, find_environment

            updates["python"] = os.path.abspath(args.python)
            try:  # checked up front: also when no file holds a memory write
                find_environment(updates["python"], None)
            except EnvironmentProblem as exc:
                raise UsageError(f"--python: {exc}") from None
        if args.respect_gitignore is not None:
            updates["respect_gitignore"] = args.respect_gitignore
        if updates:
            config = config.model_copy(update=updates)
        return config
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _reads_stdin(args: argparse.Namespace) -> bool:
    """`memlint check -`, or `--stdin-filename` without paths (as Ruff)."""
    return args.paths == ["-"] or (not args.paths and args.stdin_filename is not None)


def _cli_overrides(args: argparse.Namespace) -> tuple[tuple[str, object], ...]:
    overrides: list[tuple[str, object]] = []
    for option in ("select", "ignore", "extend_select"):
        value = getattr(args, option)
        if value is not None:
            overrides.append((option, tuple(value)))
    if args.strict:
        overrides.append(("strict", True))
    if args.python:
        overrides.append(("python", os.path.abspath(args.python)))
    if args.respect_gitignore is not None:
        overrides.append(("respect_gitignore", args.respect_gitignore))
    return tuple(overrides)


def _settings_lines(path: Path, config, knowledge) -> list[str]:
    """The effective settings for a file, and where memlint's knowledge comes from."""
    from .knowledge import typeshed_version
    from .rules import select_codes

    environment = knowledge.environment
    version = config.flink_agents_version or f"{knowledge.flink_stub_set} (default: the latest release)"
    enabled = select_codes(config.select, config.ignore, config.extend_select, strict=config.strict)
    return [
        f"Settings for {path}",
        f"  configuration: {config.root + os.sep if config.root else '(defaults: no configuration found)'}",
        f"  rules: {', '.join(sorted(enabled))}",
        f"  strict: {str(config.strict).lower()}",
        f"  flink-agents-version: {version}",
        f"  target environment: {environment.description}",
        f"  Python version: {environment.python_version[0]}.{environment.python_version[1]}",
        *(f"  site-packages: {p}" for p in environment.site_packages),
        f"  Flink Agents API from: {knowledge.flink_agents_source()}",
        f"  Python's own modules from: typeshed ({typeshed_version()})",
    ]


# Command-line options that override a configuration key (field name -> option).
_OVERRIDING_OPTIONS = {"select": "--select", "ignore": "--ignore", "extend_select": "--extend-select",
                       "strict": "--strict", "python": "--python", "respect_gitignore": "--[no-]respect-gitignore"}


def _configuration_lines(config, args: argparse.Namespace) -> list[str]:
    """Every configuration key's effective value, and where it came from: the
    command line, the configuration file that set it (or the file it extends),
    or memlint's default."""
    import json

    from .config import Config
    from .discover import exclude_patterns
    from .report import display_path

    overridden = {name for name, _ in _cli_overrides(args)}
    lines = ["Configuration (effective value  # where it was set):"]
    for name, info in Config.model_fields.items():
        if info.exclude:
            continue  # root, sources: not keys
        key = info.alias or name
        value = getattr(config, name)
        if name == "exclude" and value is None:
            value = exclude_patterns(config.model_copy(update={"extend_exclude": ()}))
        if name in overridden:
            where = f"command line ({_OVERRIDING_OPTIONS[name]})"
        else:
            where = config.source_of(name)
            where = display_path(where, os.getcwd()) if where else "default"
        if value is None:
            shown = "(not set)"
        elif isinstance(value, dict):
            shown = "{" + ", ".join(f"{json.dumps(k)} = {json.dumps(list(v))}" for k, v in value.items()) + "}"
        else:
            shown = json.dumps(list(value) if isinstance(value, tuple) else value)
        lines.append(f"  {key} = {shown}  # {where}")
    return lines


def _starts_with_bom(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def _check(args: argparse.Namespace) -> int:
    from .discover import PathError, discover
    from .prefilter import Settings
    from .report import FORMATS
    from .rules import select_codes

    if args.output_format not in FORMATS:
        raise UsageError(f"--output-format: unknown format {args.output_format!r} (expected one of {', '.join(FORMATS)})")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: expected a whole number of at least 1")
    try:
        os.getcwd()
    except OSError as exc:
        raise UsageError(f"the current directory cannot be used ({exc.strerror}): was it deleted?") from None
    config = _load_config(args)
    try:
        enabled = select_codes(config.select, config.ignore, config.extend_select, strict=config.strict)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    paths = args.paths or ["."]
    stdin = _reads_stdin(args)
    if not stdin and "-" in paths:
        raise UsageError("`-` (read stdin) must be the only path")
    if not stdin and args.stdin_filename is not None:
        raise UsageError("--stdin-filename: give `-` as the only path (the text is read from stdin)")
    try:
        files = [] if stdin else discover(paths, config, force_exclude=args.force_exclude,
                                          hierarchical=args.config is None,
                                          respect_gitignore=args.respect_gitignore)
    except PathError as exc:
        raise UsageError(str(exc)) from None
    if args.show_files:
        shown = [args.stdin_filename or "-"] if stdin else files
        sys.stdout.write("".join(f"{path}\n" for path in shown))
        return EXIT_CLEAN
    settings = Settings.from_config(config, enabled=enabled)
    if args.config is None:
        # Each file follows the configuration nearest to it (a monorepo's projects).
        settings = dataclasses.replace(settings, hierarchical=True, overrides=_cli_overrides(args))
    first = Path(files[0]) if files else Path(args.stdin_filename if stdin and args.stdin_filename else paths[0])
    file_settings = settings.for_file(str(first))
    if not (stdin or args.show_settings or args.verbose or _environment_problem(file_settings.config)
            or any(_needs_engine(path, settings) for path in files)):
        # No file can hold a memory write (nor a `# noqa` to check): the
        # result is known without importing the engine (light start-up).
        _warn_nothing_checked(args, files, enabled)
        return _finish(args, [], settings, config, files)
    from .engine import available_cpus, check_files, knowledge_for, tune_gc

    jobs = args.jobs or available_cpus()
    from .cache import default_directory, no_cache_in_environment

    if not (args.no_cache or no_cache_in_environment()):
        cache_dir = Path(args.cache_dir) if args.cache_dir else default_directory(config.root)
        settings = dataclasses.replace(settings, cache_dir=str(cache_dir.absolute()))
    # The target environment is found up front, so that a bad `python` setting
    # is reported even when no file holds a memory write.
    knowledge = knowledge_for(file_settings.config, first.resolve())
    if args.show_settings or args.verbose:
        lines = _settings_lines(first, file_settings.config, knowledge)
        if args.show_settings:
            lines += _configuration_lines(file_settings.config, args)
        if args.show_settings:
            print("\n".join(lines))
            return EXIT_CLEAN
        for line in lines:
            print(f"memlint: {line.strip()}", file=sys.stderr)
    if args.add_noqa and stdin:
        raise UsageError("--add-noqa cannot be used on stdin")
    if stdin:
        return _check_stdin(args, settings, config)
    _warn_nothing_checked(args, files, enabled)
    tune_gc()
    internal_errors: list = []
    diagnostics = check_files(files, settings, jobs=jobs, errors=internal_errors)
    _report_internal_errors(args, internal_errors)
    if settings.cache_dir is not None:
        from .engine import disk_cache

        disk_cache(settings).prune()  # type: ignore[union-attr]
    return _finish(args, diagnostics, settings, config, files)


def _warn_nothing_checked(args: argparse.Namespace, files: Sequence[str], enabled) -> None:
    if not files or not enabled:
        # Say that nothing was checked rather than "All checks passed!" (as Ruff warns).
        print("memlint: warning: " + ("No Python files found under the given path(s); nothing was checked"
                                      if not files else "no rule is enabled; nothing was checked"),
              file=sys.stderr)
        args.quiet = True


def _environment_problem(config) -> bool:
    """Might the configured `python` be unusable? Then the engine runs, so that
    knowledge_for reports it (also when no file holds a memory write). Without
    `python` the target environment cannot be wrong: nothing to import."""
    python = config.python
    if not python:
        return False
    from .knowledge import find_environment

    if config.root and not os.path.isabs(os.path.expanduser(python)):  # as knowledge_for
        python = os.path.join(config.root, python)
    try:
        find_environment(python, None)
    except Exception:  # noqa: BLE001 - knowledge_for raises it again, as it always has
        return True
    return False


def _needs_engine(path: str, settings) -> bool:
    """Must the engine see this file (as check_files decides: a candidate, a
    `# noqa` to check, or a file it cannot read and reports)?"""
    from .source import read_bytes

    try:
        data = read_bytes(path)
    except OSError:
        return True
    return settings.needs_analysis(data)


def _finish(args: argparse.Namespace, diagnostics, settings, config, files: Sequence[str]) -> int:
    """Fix, add noqa comments or report what a run found; the exit code."""
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if args.fix or args.diff:
        return _fix(args, diagnostics, settings, config)

    if args.add_noqa:
        added = _add_noqa(diagnostics)
        print(f"Added {added} noqa directive{'s' if added != 1 else ''}.")
        return EXIT_CLEAN

    _report(args, diagnostics, config, files=files)
    if diagnostics and not args.exit_zero:
        return EXIT_FOUND
    return EXIT_CLEAN


def _report_internal_errors(args: argparse.Namespace, failures: Sequence) -> None:
    """The files memlint failed on (a bug): one line each, the traceback with
    -v; the run goes on and exits 2 (main reads args.internal_errors)."""
    if not failures:
        return
    args.internal_errors = [*getattr(args, "internal_errors", []), *failures]
    for failure in sorted(failures, key=lambda e: e.path):
        print(f"memlint: error: {failure.line()}" + ("" if args.verbose else " (run with -v for the traceback)"),
              file=sys.stderr)
        if args.verbose and failure.details:
            sys.stderr.write(failure.details)


def _report(args: argparse.Namespace, diagnostics, config, fixed: Sequence = (), files: Sequence[str] = (),
            sources=None, stream=None) -> None:
    """Print the diagnostics in the chosen format, to --output-file or
    `stream` (default stdout). Text and statistics mark as fixable (`[*]`)
    only the fixes `--fix` would apply (Ruff's convention); JSON, SARIF and
    GitHub carry every fix with its applicability. Paths are relative to the
    current directory in every format; SARIF's %SRCROOT% is the git work
    tree's root (else the current directory)."""
    from .report import TEXT_FORMATS, render, render_statistics

    cwd = os.getcwd()
    text_like = args.statistics or args.output_format in TEXT_FORMATS
    shown = diagnostics
    hidden = 0
    if text_like and any(d.fix is not None for d in diagnostics):
        from .fix.apply import applicable

        hidden = sum(1 for d in diagnostics if d.fix is not None and not applicable(d.fix, args.unsafe_fixes))
        shown = [d if applicable(d.fix, args.unsafe_fixes) else _without_fix(d) for d in diagnostics]
    with _report_stream(args, stream) as out:
        if args.statistics:
            output = render_statistics(shown)
        elif fixed and text_like and not shown and not args.quiet:
            output = ""  # the "Fixed N errors." line says it all
        else:
            output = render(shown, args.output_format, root=cwd, srcroot=_srcroot(cwd),
                            show_summary=not args.quiet, color=_use_color(args, out), files=files,
                            sources=sources)
        if output:
            out.write(output if output.endswith("\n") else output + "\n")
        if text_like and not args.quiet and not args.statistics and hidden:
            print(f"{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the --unsafe-fixes option.",
                  file=out)
        if fixed or (args.fix and args.show_fixes):
            summary = _fixed_summary(fixed, args.show_fixes)
            print(summary, file=out if text_like else sys.stderr)


@contextlib.contextmanager
def _report_stream(args: argparse.Namespace, stream=None):
    """Where the report goes: --output-file (created or replaced), else `stream` or stdout."""
    if not args.output_file:
        yield stream if stream is not None else sys.stdout
        return
    try:
        handle = open(args.output_file, "w", encoding="utf-8", newline="", errors="memlint-surrogates")
    except OSError as exc:
        raise UsageError(f"--output-file: {args.output_file}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _use_color(args: argparse.Namespace, out) -> bool:
    """--color always/never; else off with NO_COLOR, on with FORCE_COLOR, else on a terminal."""
    if args.color != "auto":
        return args.color == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def _srcroot(cwd: str) -> str:
    from .discover import git_work_tree

    return git_work_tree(os.path.abspath(cwd)) or cwd


def _without_fix(diagnostic):
    from dataclasses import replace

    return replace(diagnostic, fix=None) if diagnostic.fix is not None else diagnostic


def _fixed_summary(fixed: Sequence, show: bool, verb: str = "Fixed") -> str:
    from collections import Counter

    from .rules import RULES

    count = len(fixed)
    head = f"{verb} {count} error{'s' if count != 1 else ''}"
    if not show or not count:
        return head + "."
    lines = [head + ":"]
    by_path: dict[str, Counter] = {}
    for diagnostic in fixed:
        by_path.setdefault(diagnostic.path, Counter())[diagnostic.code] += 1
    for path in sorted(by_path):
        lines.append(f"- {path}:")
        for code, n in sorted(by_path[path].items()):
            rule = RULES.get(code)
            lines.append(f"    {n} × {code}" + (f" ({rule.name})" if rule is not None else ""))
    return "\n".join(lines)


def _unpaired_notes(fixed: Sequence, prefix: str = "# memlint: ") -> str:
    """Lines naming the reads that must rebuild a value the fixes convert, where
    memlint could not rewrite them: before a file's diff (patch skips them),
    and after --fix (prefix "memlint: note: ")."""
    if not fixed:
        return ""
    from .fix.plan import UNPAIRED

    notes = []
    for diagnostic in fixed:
        message = diagnostic.fix.message if diagnostic.fix is not None else ""
        if UNPAIRED in message:
            note = f"{prefix}{diagnostic.path}:{diagnostic.line}: {diagnostic.code}: {message[message.index(UNPAIRED):]}\n"
            if note not in notes:
                notes.append(note)
    return "".join(notes)


def _fix(args: argparse.Namespace, diagnostics, settings, config) -> int:
    """--fix / --diff: apply the applicable fixes of every file that has one."""
    unsafe = args.unsafe_fixes
    by_path: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    if by_path:  # (nothing found: no need to import the fixer)
        from .fix.apply import applicable, diff_bytes, fix_file, unified_diff
    remaining: list = []
    fixed: list = []
    diffs: list[bytes] = []
    for path in sorted(by_path):
        found = by_path[path]
        if not any(applicable(d.fix, unsafe) for d in found):
            remaining.extend(found)
            continue
        try:
            outcome = fix_file(path, settings, unsafe, write=not args.diff)
        except (ConfigError, KeyboardInterrupt, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug on one file: reported for it, the others are fixed
            from .isolation import internal_error

            _report_internal_errors(args, [internal_error(path, exc)])
            remaining.extend(found)
            continue
        if outcome.problem:
            print(f"memlint: warning: {path}: {outcome.problem}", file=sys.stderr)
        if outcome.text is None or (not args.diff and outcome.problem):
            remaining.extend(found)  # nothing was changed: what was found stands
            continue
        if args.diff:
            if outcome.original is not None and outcome.text != outcome.original:
                bom = "\ufeff" if _starts_with_bom(path) else ""  # kept in the file, so in the diff's lines
                diffs.append(_unpaired_notes(outcome.fixed).encode("utf-8", "surrogateescape")
                             + diff_bytes(unified_diff(path, bom + outcome.original, bom + outcome.text),
                                          outcome.encoding))
                fixed.extend(outcome.fixed)
            remaining.extend(found)
            continue
        fixed.extend(outcome.fixed)
        remaining.extend(outcome.remaining)
    remaining.sort(key=lambda d: d.sort_key)
    if args.diff:
        _write_bytes(b"".join(diffs))
        if args.show_fixes or fixed:
            print(_fixed_summary(fixed, args.show_fixes, verb="Would fix"), file=sys.stderr)
        return EXIT_FOUND if diffs else EXIT_CLEAN
    _report(args, remaining, config, fixed)
    notes = _unpaired_notes(fixed, prefix="memlint: note: ")
    if notes:  # the fixed values' readers memlint could not rewrite: they break unless rebuilt by hand
        from .report import TEXT_FORMATS

        text_like = (args.statistics or args.output_format in TEXT_FORMATS) and not args.output_file
        (sys.stdout if text_like else sys.stderr).write(notes)
    if args.exit_zero:
        return EXIT_CLEAN
    if remaining or (args.exit_non_zero_on_fix and fixed):
        return EXIT_FOUND
    return EXIT_CLEAN


def _write_bytes(data: bytes) -> None:
    """Bytes to stdout, after whatever text was written to it before."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (an embedding host's)
        sys.stdout.write(data.decode("utf-8", "surrogateescape"))
        return
    buffer.write(data)
    buffer.flush()


def _check_stdin(args: argparse.Namespace, settings, config) -> int:
    """`memlint check -`: lint the text on stdin as if it were --stdin-filename
    (its configuration, per-file-ignores, module name and project). With
    --fix the fixed text goes to stdout (unchanged when nothing applies) and
    the report to stderr; with --diff the diff goes to stdout; as Ruff does."""
    from .discover import force_excluded
    from .engine import check_text, deep_call, syntax_error
    from .source import DecodeProblem, decode, encode

    data = sys.stdin.buffer.read()
    display = os.path.normpath(args.stdin_filename) if args.stdin_filename else "-"
    fs_path = Path(args.stdin_filename) if args.stdin_filename else Path.cwd() / "-"
    settings = settings.for_file(str(fs_path))
    excluded = bool(args.stdin_filename and args.force_exclude
                    and force_excluded(display, config, hierarchical=args.config is None))
    try:
        source = decode(data)
    except DecodeProblem as exc:
        source = None
        diagnostics = [] if excluded or "MEM000" not in settings.enabled else [
            syntax_error(display, exc.line, 1, str(exc))]
    else:
        from .isolation import guarded

        diagnostics, failure = ([], None) if excluded else deep_call(guarded, check_text, display, source.text,
                                                                     settings, fs_path)
        if failure is not None:
            _report_internal_errors(args, [failure])
    fixing = args.fix or args.diff
    if not fixing or source is None or excluded:
        if args.fix and not args.diff:
            _write_bytes(data)  # the text, unchanged
        _report(args, diagnostics, config, files=[display],
                sources={display: source.text} if source is not None else None,
                stream=sys.stderr if fixing else None)
        if args.exit_zero or not diagnostics:
            return EXIT_CLEAN
        return EXIT_FOUND
    from .fix.apply import diff_bytes, fix_text, unified_diff

    result = fix_text(display, source.text, settings, args.unsafe_fixes, fs_path, diagnostics)
    if args.diff:
        changed = result.text != source.text
        if changed:
            _write_bytes(diff_bytes(unified_diff(display, source.text, result.text), source.encoding))
        if args.show_fixes or result.fixed:
            print(_fixed_summary(result.fixed, args.show_fixes, verb="Would fix"), file=sys.stderr)
        return EXIT_FOUND if changed and not args.exit_zero else EXIT_CLEAN
    _write_bytes(encode(source, result.text))
    _report(args, result.remaining, config, result.fixed, files=[display], sources={display: result.text},
            stream=sys.stderr)
    if args.exit_zero:
        return EXIT_CLEAN
    if result.remaining or (args.exit_non_zero_on_fix and result.fixed):
        return EXIT_FOUND
    return EXIT_CLEAN


def _add_noqa(diagnostics) -> int:
    by_path: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    if not by_path:
        return 0
    from .fix.fileio import WriteRefused, read_for_fix, write_if_unchanged
    from .noqa import add_noqa

    total = 0
    for path, found in sorted(by_path.items()):
        try:
            source, data = read_for_fix(path)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"memlint: warning: {path}: not changed: {exc}", file=sys.stderr)
            continue
        new_text, changed = add_noqa(source.text, found)
        if not changed:
            continue
        try:
            written = write_if_unchanged(path, source, new_text, data)
        except WriteRefused as exc:
            print(f"memlint: warning: {path}: {exc}", file=sys.stderr)
            continue
        except (OSError, UnicodeError) as exc:
            print(f"memlint: warning: {path}: cannot write the file: {exc}", file=sys.stderr)
            continue
        if not written:
            print(f"memlint: warning: {path}: the file changed on disk meanwhile; it was not written", file=sys.stderr)
            continue
        total += changed
    return total


def _rule(args: argparse.Namespace) -> int:
    import json

    from .rules import RULES

    if args.all:
        selected = list(RULES.values())
    elif args.code:
        by_name = {rule.name: rule for rule in RULES.values()}
        rule = RULES.get(args.code.upper()) or by_name.get(args.code.lower().replace("_", "-"))
        if rule is None:
            raise UsageError(f"unknown rule code or name {args.code!r} (see `memlint rule --all`)")
        selected = [rule]
    else:
        raise UsageError("give a rule code or name (e.g. `memlint rule MEM101`, `memlint rule uuid-value`) "
                         "or --all")
    if args.output_format == "json":
        payload = [{"code": r.code, "name": r.name, "summary": r.summary, "url": r.url(),
                    "documentation": r.documentation()} for r in selected]
        print(json.dumps(payload if args.all else payload[0], indent=2))
    else:
        print("\n\n".join(r.documentation() for r in selected))
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
