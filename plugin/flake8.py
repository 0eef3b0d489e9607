"""flake8 plugin: memlint's diagnostics as flake8 `MEM` errors.

Registered in the `flake8.extension` entry-point group with the prefix `MEM`.
It runs the memlint engine on the text flake8 read (`lines`); flake8's own
`--select`/`--ignore`/`--extend-ignore`/`# noqa` decide what is shown, so the
engine runs with `apply_noqa=False` and without `[tool.memlint]`'s rule
selection. The analysis settings of `[tool.memlint]` (memory types and
attributes, `strict`, `flink-agents-version`) are read from the nearest
configuration file above the checked file.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import memlint
from memlint.prefilter import CANDIDATE, is_candidate, memory_hints

if TYPE_CHECKING:
    from memlint.config import Config

# flake8 runs every plugin on every file: a file with no `.set(` costs a
# regular expression (not even the configuration is read), one with a `.set(`
# but no memory hint (`threading.Event().set()`) the configuration and the
# engine's byte prefilter; only a candidate imports the engine (libcst).

# flake8 decides what is selected and ignored, not memlint.
_SELECTION_DEFAULTS = {"select": None, "ignore": (), "extend_select": (), "per_file_ignores": {}}


class MemlintChecker:
    name = "flink-agents-memlint"
    version = memlint.__version__

    def __init__(self, tree: Any, filename: str, lines: Sequence[str]) -> None:
        # `tree` is flake8's `ast` tree: unused, memlint parses with libcst. Asking
        # for it makes this a tree plugin (run once per file; skipped when flake8
        # itself reports the file as a syntax error, E999).
        #
        # The analysis runs here, not in run(): flake8 turns an exception raised
        # while it constructs a plugin (such as a configuration error) into a
        # one-line "critical error" naming the file, where one raised while it
        # iterates run() would escape as a bare traceback.
        source = "".join(lines)
        self.diagnostics: list = []
        if CANDIDATE.search(source) is None:
            return
        config = _config_for(str(Path(filename).resolve().parent))
        if not is_candidate(source.encode("utf-8", "surrogatepass"), memory_hints(config)):
            return
        self.diagnostics = memlint.lint_source(source, filename, config, apply_noqa=False)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for d in self.diagnostics:
            # memlint columns are 1-based, flake8's are 0-based.
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)


@functools.lru_cache(maxsize=None)
def _config_for(directory: str) -> "Config":
    from memlint.config import find_config_file

    return _config_from_file(find_config_file(Path(directory)))


@functools.lru_cache(maxsize=None)
def _config_from_file(path: Path | None) -> "Config":
    from memlint.config import Config, load_config

    if path is None:
        return Config()
    return load_config(path).model_copy(update=_SELECTION_DEFAULTS)
