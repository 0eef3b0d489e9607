"""The `memlint` command: `check`, `rule`, `lsp`.

Exit codes (like Ruff): 0 nothing found, 1 diagnostics found, 2 usage,
configuration or internal error.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__

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
        if updates:
            config = config.model_copy(update=updates)
        return config
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _check(args: argparse.Namespace) -> int:
    from .discover import PathError, discover
    from .engine import Settings, check_files, tune_gc
    from .report import FORMATS, render, render_statistics
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
    tune_gc()
    diagnostics = check_files(files, settings, jobs=jobs)

    if args.add_noqa:
        added = _add_noqa(diagnostics)
        print(f"Added {added} noqa directive{'s' if added != 1 else ''}.")
        return EXIT_CLEAN

    root = config.root or os.getcwd()
    if args.statistics:
        output = render_statistics(diagnostics)
    else:
        output = render(diagnostics, args.output_format, root=root, show_summary=not args.quiet)
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if diagnostics and not args.exit_zero:
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
