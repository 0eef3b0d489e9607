"""Configuration: `[tool.memlint]` in pyproject.toml, or a standalone memlint.toml.

A configuration may `extend` another file (its keys win, key by key; the
`extend-*` keys add to the extended file's); `required-version` refuses to run
another memlint version. Each loaded Config remembers which file set each key
(`sources`), for `memlint check --show-settings`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILES = ("memlint.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration problem; str() is the one-line message shown to the user."""


class Config(BaseModel):
    """Validated `[tool.memlint]` settings (keys are spelled with hyphens in TOML)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = Field(default=(), alias="extend-select")
    per_file_ignores: dict[str, tuple[str, ...]] = Field(default_factory=dict, alias="per-file-ignores")
    extend_per_file_ignores: dict[str, tuple[str, ...]] = Field(default_factory=dict,
                                                                 alias="extend-per-file-ignores")
    # None: the default excludes (discover.DEFAULT_EXCLUDE); a list replaces them.
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = Field(default=(), alias="extend-exclude")
    # Skip what .gitignore, .ignore and .git/info/exclude ignore.
    respect_gitignore: bool = Field(default=True, alias="respect-gitignore", strict=True)
    # Another configuration file this one builds on (resolved by load_config).
    extend: str | None = None
    # A PEP 440 specifier (or an exact version) the running memlint must satisfy.
    required_version: str | None = Field(default=None, alias="required-version")
    strict: bool = Field(default=False, strict=True)  # TOML has booleans: no "yes"/1 coercion
    memory_types: tuple[str, ...] = Field(default=(), alias="memory-types")
    memory_attributes: tuple[str, ...] = Field(default=(), alias="memory-attributes")
    flink_agents_version: str | None = Field(default=None, alias="flink-agents-version")
    # The environment whose installed packages are read: an interpreter or a virtualenv.
    python: str | None = None
    # Where the configuration was found; resolves relative excludes and the project root.
    root: str | None = Field(default=None, exclude=True)
    # (field name, file) for every key a configuration file set; see load_config.
    sources: tuple[tuple[str, str], ...] = Field(default=(), exclude=True)

    @field_validator("select", "ignore", "extend_select")
    @classmethod
    def _known_codes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        for code in value:
            _check_code_prefix(code)
        return value

    @field_validator("per_file_ignores", "extend_per_file_ignores")
    @classmethod
    def _known_ignore_codes(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for codes in value.values():
            for code in codes:
                _check_code_prefix(code)
        return value

    @field_validator("required_version")
    @classmethod
    def _specifier_shape(cls, value: str | None) -> str | None:
        if value is not None:
            _specifier(value)  # raises ValueError naming what is wrong
        return value

    @field_validator("flink_agents_version")
    @classmethod
    def _version_shape(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value == "main":
            return value
        parts = value.split(".")
        if not parts or not all(p.isdigit() for p in parts):
            raise ValueError(f"expected a version such as \"0.3\", \"0.3.1\" or \"main\", got {value!r}")
        return value

    @property
    def admits_bytes(self) -> bool:
        """flink-agents 0.3.x's set() rejects bytes; other versions store exact bytes natively."""
        if self.flink_agents_version in (None, "main"):
            return True
        parts = tuple(int(p) for p in self.flink_agents_version.split("."))
        return parts[:2] != (0, 3)

    @property
    def all_per_file_ignores(self) -> dict[str, tuple[str, ...]]:
        """per-file-ignores and extend-per-file-ignores together (codes of one pattern merged)."""
        merged = dict(self.per_file_ignores)
        for pattern, codes in self.extend_per_file_ignores.items():
            merged[pattern] = (*merged.get(pattern, ()), *codes)
        return merged

    def source_of(self, field: str) -> str | None:
        """The configuration file that set `field`, or None (a default)."""
        for name, where in self.sources:
            if name == field:
                return where
        return None


def _specifier(value: str):
    """A packaging SpecifierSet for `required-version` ("0.1.0" means "==0.1.0")."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    text = value.strip()
    if text and text[0].isdigit():
        text = "==" + text
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"expected a version or a PEP 440 specifier such as \">=0.1\", got {value!r}") from None


def check_required_version(config: "Config", where: str) -> None:
    """ConfigError unless this memlint satisfies the configuration's required-version."""
    if config.required_version is None:
        return
    from . import __version__

    if not _specifier(config.required_version).contains(__version__, prereleases=True):
        raise ConfigError(f"{where}: required-version {config.required_version!r} does not match "
                          f"the running memlint {__version__}")


def _check_code_prefix(code: str) -> None:
    from .rules import RULES

    if code in ("ALL", "MEM"):
        return
    if not any(rule_code.startswith(code) for rule_code in RULES) or not code.startswith("MEM"):
        raise ValueError(f"unknown rule code or prefix {code!r}")


def check_codes(codes: list[str] | tuple[str, ...], option: str) -> None:
    """Validate rule codes given on the command line; raise ConfigError naming the option."""
    for code in codes:
        try:
            _check_code_prefix(code)
        except ValueError as exc:
            raise ConfigError(f"{option}: {exc}") from None


def find_config_file(start: Path) -> Path | None:
    """The nearest memlint.toml, or pyproject.toml holding [tool.memlint], at or above start."""
    start = start.resolve()
    for directory in (start, *start.parents):
        found = config_file_in(directory)
        if found is not None:
            return found
    return None


def config_file_in(directory: Path) -> Path | None:
    """The memlint.toml, or pyproject.toml holding [tool.memlint], in `directory` itself."""
    for name in CONFIG_FILES:
        candidate = directory / name
        try:
            if not candidate.is_file():
                continue
        except OSError as exc:  # a folder memlint may not search (not as root)
            raise ConfigError(f"{directory}: cannot look for a configuration file there: "
                              f"{exc.strerror or exc}") from None
        if name == "memlint.toml":
            return candidate
        try:
            text = candidate.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return candidate  # not UTF-8: load_config says so, naming the file
        except OSError:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            if "tool.memlint" in text:
                return candidate  # a broken memlint section: load_config reports it
            continue
        tool = data.get("tool")
        if isinstance(tool, dict) and "memlint" in tool:
            return candidate
    return None


def load_config(path: Path | None = None, start: Path | None = None) -> Config:
    """Load the config file `path`, or the nearest one above `start` (default: cwd)."""
    if path is None:
        path = find_config_file(start or Path.cwd())
        if path is None:
            return Config()
    return _load_file(Path(path), ())


def _read_section(path: Path) -> tuple[Any, str]:
    """The memlint table of a configuration file, and how errors name it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not valid UTF-8 (line {line}, byte {exc.start}: {exc.reason}); "
                          "TOML files must be UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "memlint.toml":
        return data, str(path)
    tool = data.get("tool", {})
    return (tool.get("memlint", {}) if isinstance(tool, dict) else {}), f"{path}: [tool.memlint]"


def _load_file(path: Path, chain: tuple[Path, ...]) -> Config:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise ConfigError(f"{path}: 'extend' forms a cycle: {cycle}")
    section, where = _read_section(path)
    config = config_from_mapping(section, where, root=str(resolved.parent))
    config = config.model_copy(update={"sources": tuple((name, str(path)) for name in _keys_set(section))})
    if config.extend is not None:
        target = Path(os.path.expandvars(os.path.expanduser(config.extend)))
        if not target.is_absolute():
            target = resolved.parent / target
        if not target.is_file():
            raise ConfigError(f"{where}: invalid value for 'extend': {config.extend}: no such file")
        config = _merge(_load_file(target, (*chain, resolved)), config)
    check_required_version(config, where)
    return config


def _keys_set(section: Any) -> list[str]:
    """Field names of the keys a table sets (TOML spells them with hyphens)."""
    if not isinstance(section, dict):
        return []
    by_alias = {(info.alias or name): name for name, info in Config.model_fields.items()}
    return [by_alias.get(key, key.replace("-", "_")) for key in section]


# Keys whose value in an extending file adds to the extended file's value.
_ADDITIVE = ("extend_select", "extend_exclude", "extend_per_file_ignores")


def _merge(base: Config, child: Config) -> Config:
    """`child` extends `base`: a key the child sets wins, except the extend-*
    keys, which add to the base's, and a child `select` that starts the rule
    selection afresh (the base's ignore/extend-select no longer apply), as in
    Ruff. Paths of the merged configuration are relative to the child's
    folder; a relative `python` of the base stays relative to the base."""
    child_keys = {name for name, _ in child.sources}
    update: dict[str, Any] = {}
    sources = dict(base.sources)
    if base.python and base.root and not os.path.isabs(os.path.expanduser(base.python)):
        update["python"] = os.path.join(base.root, base.python)
    for name in child_keys:
        value = getattr(child, name)
        if name in _ADDITIVE:
            previous = getattr(base, name)
            if name == "extend_select" and "select" in child_keys:
                previous = ()
            value = {**previous, **value} if isinstance(value, dict) else (*previous, *value)
        update[name] = value
        sources[name] = child.source_of(name) or ""
    if "select" in child_keys:
        for name in ("ignore", "extend_select"):
            if name not in child_keys:
                update[name] = ()
                sources.pop(name, None)
    elif "extend_select" in child_keys and "ignore" not in child_keys:
        # The child's extend-select comes after the base's ignore.
        update["ignore"] = tuple(c for c in base.ignore if c not in child.extend_select)
    update["root"] = child.root
    update["sources"] = tuple(sources.items())
    return base.model_copy(update=update)


def config_from_mapping(section: Any, where: str, root: str | None = None) -> Config:
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: expected a table")
    for internal in ("root", "sources"):  # set by memlint, not by a file
        if internal in section:
            raise ConfigError(f"{where}: unknown key '{internal}'")
    try:
        config = Config.model_validate(section)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "?"
        if error["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown key '{key}'") from None
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: invalid value for '{key}': {message}") from None
    return config.model_copy(update={"root": root})
