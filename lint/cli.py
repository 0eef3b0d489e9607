"""The `memlint` command: `check`, `rule`, `lsp`.

Exit codes (like Ruff): 0 nothing found, 1 diagnostics found, 2 usage,
configuration or internal error.
"""
from __future__ import annotations

import argparse
import dataclasses
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
    parser = _Parser(prog="memlint", description="Keep Apache Flink Agents memory checkpoint-safe.")
    parser.add_argument("--version", action="version", version=f"memlint {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = commands.add_parser("check", help="check files for memory writes that will not survive a restore")
    check.add_argument("paths", nargs="*", default=None, help="files or directories (default: .)")
    check.add_argument("--select", type=_codes, default=None, metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable (replaces the configured set)")
    check.add_argument("--ignore", type=_codes, default=None, metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--extend-select", type=_codes, default=None, metavar="CODES",
                       help="rule codes or prefixes to enable in addition")
    check.add_argument("--output-format", default="text", metavar="FORMAT",
                       help="text (default), json, sarif or github")
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
    check.add_argument("--python", default=None, metavar="PATH",
                       help="the interpreter or virtual environment whose installed packages memlint reads "
                            "(default: $VIRTUAL_ENV, a .venv/venv at the project root, the interpreter memlint runs in)")
    check.add_argument("--show-settings", action="store_true",
                       help="print the effective settings and where memlint's knowledge comes from, then exit")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="also print where memlint's knowledge comes from (on stderr)")

    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code, e.g. MEM101")
    rule.add_argument("--all", action="store_true", help="show every rule")
    rule.add_argument("--output-format", default="text", choices=("text", "json"), help="text (markdown) or json")

    commands.add_parser("lsp", help="run the language server on stdio")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args)
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


def _load_config(args: argparse.Namespace):
    from .config import ConfigError, check_codes, load_config

    try:
        if args.config is not None:
            if not os.path.isfile(args.config):
                raise UsageError(f"--config: {args.config}: no such file")
            config = load_config(Path(args.config))
        else:
            start = Path(args.paths[0]) if args.paths else Path.cwd()
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
            updates["python"] = os.path.abspath(args.python)
        if updates:
            config = config.model_copy(update=updates)
        return config
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


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


def _check(args: argparse.Namespace) -> int:
    from .discover import PathError, discover
    from .engine import Settings, check_files, tune_gc
    from .report import FORMATS
    from .rules import select_codes

    if args.output_format not in FORMATS:
        raise UsageError(f"--output-format: unknown format {args.output_format!r} (expected one of {', '.join(FORMATS)})")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: expected a whole number of at least 1")
    config = _load_config(args)
    try:
        enabled = select_codes(config.select, config.ignore, config.extend_select, strict=config.strict)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    paths = args.paths or ["."]
    try:
        files = discover(paths, config, force_exclude=args.force_exclude)
    except PathError as exc:
        raise UsageError(str(exc)) from None
    jobs = args.jobs or os.cpu_count() or 1
    settings = Settings.from_config(config, enabled=enabled)
    if args.config is None:
        # Each file follows the configuration nearest to it (a monorepo's projects).
        settings = dataclasses.replace(settings, hierarchical=True, overrides=_cli_overrides(args))
    if args.show_settings or args.verbose:
        from .engine import knowledge_for

        first = Path(files[0]) if files else Path(paths[0])
        file_settings = settings.for_file(str(first))
        lines = _settings_lines(first, file_settings.config, knowledge_for(file_settings.config, first.resolve()))
        if args.show_settings:
            print("\n".join(lines))
            return EXIT_CLEAN
        for line in lines:
            print(f"memlint: {line.strip()}", file=sys.stderr)
    tune_gc()
    diagnostics = check_files(files, settings, jobs=jobs)

    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")
    if args.fix or args.diff:
        return _fix(args, diagnostics, settings, config)

    if args.add_noqa:
        added = _add_noqa(diagnostics)
        print(f"Added {added} noqa directive{'s' if added != 1 else ''}.")
        return EXIT_CLEAN

    _report(args, diagnostics, config)
    if diagnostics and not args.exit_zero:
        return EXIT_FOUND
    return EXIT_CLEAN


def _report(args: argparse.Namespace, diagnostics, config, fixed: Sequence = ()) -> None:
    """Print the diagnostics in the chosen format. Text and statistics mark as
    fixable (`[*]`) only the fixes `--fix` would apply (Ruff's convention);
    JSON, SARIF and GitHub carry every fix with its applicability."""
    from .autofix import applicable
    from .report import render, render_statistics

    root = config.root or os.getcwd()
    text_like = args.statistics or args.output_format == "text"
    shown = diagnostics
    hidden = 0
    if text_like:
        hidden = sum(1 for d in diagnostics if d.fix is not None and not applicable(d.fix, args.unsafe_fixes))
        shown = [d if applicable(d.fix, args.unsafe_fixes) else _without_fix(d) for d in diagnostics]
    if args.statistics:
        output = render_statistics(shown)
    elif fixed and text_like and not shown and not args.quiet:
        output = ""  # the "Fixed N errors." line says it all
    else:
        output = render(shown, args.output_format, root=root, show_summary=not args.quiet)
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if text_like and not args.quiet and not args.statistics and hidden:
        print(f"{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the --unsafe-fixes option.")
    if fixed or (args.fix and args.show_fixes):
        summary = _fixed_summary(fixed, args.show_fixes)
        print(summary, file=sys.stdout if text_like else sys.stderr)


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


def _unpaired_notes(fixed: Sequence) -> str:
    """Lines before a file's diff (patch skips them) naming the reads that must
    rebuild a value the diff converts, where memlint could not rewrite them."""
    from .fix import UNPAIRED

    notes = []
    for diagnostic in fixed:
        message = diagnostic.fix.message if diagnostic.fix is not None else ""
        if UNPAIRED in message:
            note = f"# memlint: {diagnostic.path}:{diagnostic.line}: {diagnostic.code}: {message[message.index(UNPAIRED):]}\n"
            if note not in notes:
                notes.append(note)
    return "".join(notes)


def _fix(args: argparse.Namespace, diagnostics, settings, config) -> int:
    """--fix / --diff: apply the applicable fixes of every file that has one."""
    from .autofix import applicable, fix_file, unified_diff

    unsafe = args.unsafe_fixes
    by_path: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    remaining: list = []
    fixed: list = []
    diffs: list[str] = []
    for path in sorted(by_path):
        found = by_path[path]
        if not any(applicable(d.fix, unsafe) for d in found):
            remaining.extend(found)
            continue
        outcome = fix_file(path, settings, unsafe, write=not args.diff)
        if outcome.problem:
            print(f"memlint: warning: {path}: {outcome.problem}", file=sys.stderr)
        if outcome.text is None or (not args.diff and outcome.problem):
            remaining.extend(found)  # nothing was changed: what was found stands
            continue
        if args.diff:
            if outcome.original is not None and outcome.text != outcome.original:
                diffs.append(_unpaired_notes(outcome.fixed) + unified_diff(path, outcome.original, outcome.text))
                fixed.extend(outcome.fixed)
            remaining.extend(found)
            continue
        fixed.extend(outcome.fixed)
        remaining.extend(outcome.remaining)
    remaining.sort(key=lambda d: d.sort_key)
    if args.diff:
        sys.stdout.write("".join(diffs))
        if args.show_fixes or fixed:
            print(_fixed_summary(fixed, args.show_fixes, verb="Would fix"), file=sys.stderr)
        return EXIT_FOUND if diffs else EXIT_CLEAN
    _report(args, remaining, config, fixed)
    if remaining and not args.exit_zero:
        return EXIT_FOUND
    return EXIT_CLEAN


def _add_noqa(diagnostics) -> int:
    from .fileio import write_if_unchanged
    from .noqa import add_noqa
    from .source import read_source

    by_path: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    total = 0
    for path, found in sorted(by_path.items()):
        try:
            source = read_source(path)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"memlint: warning: {path}: not changed: {exc}", file=sys.stderr)
            continue
        new_text, changed = add_noqa(source.text, found)
        if changed and write_if_unchanged(path, source, new_text):
            total += changed
    return total


def _rule(args: argparse.Namespace) -> int:
    import json

    from .rules import RULES

    if args.all:
        selected = list(RULES.values())
    elif args.code:
        code = args.code.upper()
        if code not in RULES:
            raise UsageError(f"unknown rule code {args.code!r} (see `memlint rule --all`)")
        selected = [RULES[code]]
    else:
        raise UsageError("give a rule code (e.g. `memlint rule MEM101`) or --all")
    if args.output_format == "json":
        payload = [{"code": r.code, "name": r.name, "summary": r.summary, "url": r.url(),
                    "documentation": r.documentation()} for r in selected]
        print(json.dumps(payload if args.all else payload[0], indent=2))
    else:
        print("\n\n".join(r.documentation() for r in selected))
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
