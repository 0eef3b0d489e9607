"""The byte prefilter: can a file hold a memory write? And the settings a run
derives from its configuration (`Settings`).

Kept apart from engine.py, with no import beyond the standard library and
config.py, so that a run (the command line, the flake8 plugin) whose files
cannot hold a memory write decides so without importing the analysis: a
file is a candidate when it has a `.set(` and a memory hint (a memory
attribute name, `MemoryObject`, `new_object`, or a configured memory
attribute or type).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from .config import Config

CANDIDATE = re.compile(r"\.\s*set\s*\(")
CANDIDATE_BYTES = re.compile(rb"\.\s*set\s*\(")
# The attributes of a RunnerContext that hold a memory (summary.py reads the
# same names; tests/test_startup.py checks that the two agree).
MEMORY_ATTRIBUTE_NAMES = ("sensory_memory", "short_term_memory")
MEMORY_HINTS = tuple(name.encode() for name in MEMORY_ATTRIBUTE_NAMES) + (b"MemoryObject", b"new_object")


def memory_hints(config: "Config") -> tuple[bytes, ...]:
    """The hints of a configuration: the built-in ones, its memory attributes
    and the last part of its memory types' names."""
    return MEMORY_HINTS + tuple(a.encode() for a in config.memory_attributes) + tuple(
        t.rsplit(".", 1)[-1].encode() for t in config.memory_types)


def is_candidate(data: bytes, hints: Sequence[bytes]) -> bool:
    """Can this file hold a memory write? (No parse: bytes only; a file with
    non-ASCII text is also searched as Python reads identifiers: NFKC.)"""
    if CANDIDATE_BYTES.search(data) is not None and any(hint in data for hint in hints):
        return True
    if data.isascii():
        return False
    import unicodedata  # syntax.nfkc, without importing libcst

    normalized = unicodedata.normalize("NFKC", data.decode("utf-8", "replace")).encode("utf-8", "replace")
    return CANDIDATE_BYTES.search(normalized) is not None and any(hint in normalized for hint in hints)


def may_hold_noqa(data: bytes) -> bool:
    return b"noqa" in data.lower() and b"MEM" in data.upper()


@dataclass(frozen=True)
class Settings:
    """What a worker needs to check files: derived once from the Config."""

    config: "Config"
    enabled: frozenset[str]
    hints: tuple[bytes, ...]
    memory_attributes: tuple[str, ...]
    apply_noqa: bool = True
    # When true, a file under a directory with its own memlint.toml /
    # [tool.memlint] uses that configuration (with `overrides`, the
    # command line's --select/--ignore/--extend-select/--strict, on top).
    hierarchical: bool = False
    overrides: tuple[tuple[str, object], ...] = ()
    # Where results and summaries are cached on disk (None: no cache).
    cache_dir: Optional[str] = None

    @classmethod
    def from_config(cls, config: "Config", *, apply_noqa: bool = True,
                    enabled: Optional[frozenset[str]] = None) -> "Settings":
        if enabled is None:
            from .rules import select_codes

            enabled = select_codes(config.select, config.ignore, config.extend_select, strict=config.strict)
        return cls(config, enabled, memory_hints(config), MEMORY_ATTRIBUTE_NAMES + tuple(config.memory_attributes),
                   apply_noqa)

    def needs_analysis(self, data: bytes) -> bool:
        """Must this file's bytes go to the engine (a candidate, or a `# noqa`
        the engine checks)? Decided with these (not the file's own) settings,
        as check_files does before it dispatches."""
        return is_candidate(data, self.hints) or (self.apply_noqa and may_hold_noqa(data))

    def for_file(self, path: str) -> "Settings":
        """The settings of the nearest configuration above `path` (hierarchical mode)."""
        if not self.hierarchical:
            return self
        from .config import find_config_file

        directory = os.path.dirname(os.path.abspath(path))
        found = _config_by_directory.get(directory, _MISSING)
        if found is _MISSING:
            found = find_config_file(Path(directory))
            _config_by_directory[directory] = found
        if found is None or (self.config.root and Path(found).parent == Path(self.config.root)):
            return self
        key = (str(found), self.overrides, self.apply_noqa, self.cache_dir)
        cached = _settings_by_config.get(key)
        if cached is None:
            from .config import load_config

            config = load_config(Path(found))
            if self.overrides:
                config = config.model_copy(update=dict(self.overrides))
            cached = Settings.from_config(config, apply_noqa=self.apply_noqa)
            cached = replace(cached, hierarchical=False, cache_dir=self.cache_dir)
            _settings_by_config[key] = cached
        return cached


_MISSING = object()
_config_by_directory: dict[str, object] = {}
_settings_by_config: dict[tuple, "Settings"] = {}
