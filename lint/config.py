"""Configuration: `[tool.memlint]` in pyproject.toml, or a standalone memlint.toml.

A configuration may `extend` another file (its keys win, key by key; the
`extend-*` keys add to the extended file's); `required-version` refuses to run
another memlint version. Each loaded Config remembers which file set each key
(`sources`), for `memlint check --show-settings`.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Optional

CONFIG_FILES = ("memlint.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration problem; str() is the one-line message shown to the user."""


class InvalidValue(ValueError):
    """A Config field given a value it does not take. `location` is the
    field's name, then the keys/indexes inside its value that are wrong."""

    def __init__(self, location: tuple[Any, ...], message: str) -> None:
        super().__init__(f"invalid value for '{'.'.join(str(part) for part in location)}': {message}")
        self.location = location
        self.message = message


class UnknownKey(ValueError):
    """Config.model_validate met a key that is no Config field."""

    def __init__(self, key: Any) -> None:
        super().__init__(f"unknown key '{key}'")
        self.key = key


# -- field validation (plain Python: importing pydantic cost most of a clean run's start-up)

# A field's check: (value, location) -> the value to keep, or InvalidValue.
Check = Callable[[Any, tuple[Any, ...]], Any]


def _string(value: Any, location: tuple[Any, ...]) -> str:
    if not isinstance(value, str):
        raise InvalidValue(location, "Input should be a valid string")
    return value


def _strings(value: Any, location: tuple[Any, ...]) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise InvalidValue(location, "Input should be a valid tuple")
    return tuple(_string(item, (*location, index)) for index, item in enumerate(value))


def _codes(value: Any, location: tuple[Any, ...]) -> tuple[str, ...]:
    codes = _strings(value, location)
    _check_codes_of(codes, location)
    return codes


def _codes_by_pattern(value: Any, location: tuple[Any, ...]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise InvalidValue(location, "Input should be a valid dictionary")
    mapping = {_string(pattern, (*location, pattern)): _strings(codes, (*location, pattern))
               for pattern, codes in value.items()}
    for codes in mapping.values():
        _check_codes_of(codes, location)
    return mapping


def _check_codes_of(codes: tuple[str, ...], location: tuple[Any, ...]) -> None:
    for code in codes:
        try:
            _check_code_prefix(code)
        except ValueError as exc:
            raise InvalidValue(location, str(exc)) from None


def _boolean(value: Any, location: tuple[Any, ...]) -> bool:
    if not isinstance(value, bool):  # TOML has booleans: no "yes"/1 coercion
        raise InvalidValue(location, "Input should be a valid boolean")
    return value


def _specifier_text(value: Any, location: tuple[Any, ...]) -> str:
    value = _string(value, location)
    try:
        _specifier(value)
    except ValueError as exc:
        raise InvalidValue(location, str(exc)) from None
    return value


def _version_text(value: Any, location: tuple[Any, ...]) -> str:
    value = _string(value, location)
    if value != "main" and not all(part.isdigit() for part in value.split(".")):
        raise InvalidValue(location, f"expected a version such as \"0.3\", \"0.3.1\" or \"main\", got {value!r}")
    return value


def _or_none(check: Check) -> Check:
    """`check`, with None (not set) let through."""
    def optional(value: Any, location: tuple[Any, ...]) -> Any:
        return None if value is None else check(value, location)

    return optional


def _as_is(value: Any, location: tuple[Any, ...]) -> Any:
    return value


def _setting(default: Any, check: Check, key: Optional[str] = None, internal: bool = False) -> Any:
    """A Config field: its default, how a value is checked (and normalized: lists
    become tuples), its TOML key when that is not the field's name, and whether
    memlint sets it (not a key of the file)."""
    metadata = {"check": check, "key": key, "internal": internal}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


class FieldInfo:
    """What Config.model_fields tells of a field (the part of pydantic's
    FieldInfo memlint uses): `alias`, its TOML key when not the field's name;
    `exclude`, true for what memlint sets (not a key, not in model_dump)."""

    __slots__ = ("alias", "exclude", "check")

    def __init__(self, alias: Optional[str], exclude: bool, check: Check) -> None:
        self.alias = alias
        self.exclude = exclude
        self.check = check


@dataclass(frozen=True)
class Config:
    """Validated `[tool.memlint]` settings (keys are spelled with hyphens in TOML).

    A frozen dataclass with the few operations of a pydantic model memlint
    uses: `model_validate` (a mapping keyed by TOML key or field name),
    `model_copy(update=...)` (not validated, as pydantic's), `model_dump()`
    and `model_fields`. The constructor validates too (lists become tuples)."""

    select: Optional[tuple[str, ...]] = _setting(None, _or_none(_codes))
    ignore: tuple[str, ...] = _setting((), _codes)
    extend_select: tuple[str, ...] = _setting((), _codes, "extend-select")
    per_file_ignores: dict[str, tuple[str, ...]] = _setting({}, _codes_by_pattern, "per-file-ignores")
    extend_per_file_ignores: dict[str, tuple[str, ...]] = _setting({}, _codes_by_pattern, "extend-per-file-ignores")
    # None: the default excludes (discover.DEFAULT_EXCLUDE); a list replaces them.
    exclude: Optional[tuple[str, ...]] = _setting(None, _or_none(_strings))
    extend_exclude: tuple[str, ...] = _setting((), _strings, "extend-exclude")
    # Skip what .gitignore, .ignore and .git/info/exclude ignore.
    respect_gitignore: bool = _setting(True, _boolean, "respect-gitignore")
    # Another configuration file this one builds on (resolved by load_config).
    extend: Optional[str] = _setting(None, _or_none(_string))
    # A PEP 440 specifier (or an exact version) the running memlint must satisfy.
    required_version: Optional[str] = _setting(None, _or_none(_specifier_text), "required-version")
    strict: bool = _setting(False, _boolean)
    memory_types: tuple[str, ...] = _setting((), _strings, "memory-types")
    memory_attributes: tuple[str, ...] = _setting((), _strings, "memory-attributes")
    flink_agents_version: Optional[str] = _setting(None, _or_none(_version_text), "flink-agents-version")
    # The environment whose installed packages are read: an interpreter or a virtualenv.
    python: Optional[str] = _setting(None, _or_none(_string))
    # Where the configuration was found; resolves relative excludes and the project root.
    root: Optional[str] = _setting(None, _or_none(_string), internal=True)
    # (field name, file) for every key a configuration file set; see load_config.
    sources: tuple[tuple[str, str], ...] = _setting((), _as_is, internal=True)

    # Filled in below the class: field name -> FieldInfo, in declaration order.
    model_fields: ClassVar[dict[str, FieldInfo]]

    def __post_init__(self) -> None:
        for name, info in self.model_fields.items():
            value = getattr(self, name)
            checked = info.check(value, (name,))
            if checked is not value:
                object.__setattr__(self, name, checked)

    @classmethod
    def model_validate(cls, section: Any) -> "Config":
        """The Config of a mapping keyed by TOML key (or field name); InvalidValue
        names the key as written. A bad value is reported before an unknown key."""
        if not isinstance(section, dict):
            raise InvalidValue((), "Input should be a valid dictionary")
        values: dict[str, Any] = {}
        written: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            for key in ((info.alias, name) if info.alias else (name,)):
                if key in section:
                    values[name] = section[key]
                    written[name] = key
                    break
        try:
            config = cls(**values)
        except InvalidValue as exc:
            field_name, *inside = exc.location
            raise InvalidValue((written.get(field_name, field_name), *inside), exc.message) from None
        for key in section:
            if key not in written.values():
                raise UnknownKey(key)
        return config

    def model_copy(self, *, update: Optional[dict[str, Any]] = None) -> "Config":
        """A copy with the fields of `update` replaced (not validated)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for name, value in (update or {}).items():
            if name not in self.model_fields:
                raise TypeError(f"Config has no field {name!r}")
            copy.__dict__[name] = value
        return copy

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The settings (not root nor sources) by field name; mode="json" gives lists for tuples."""
        dumped = {name: getattr(self, name) for name, info in self.model_fields.items() if not info.exclude}
        return _jsonable(dumped) if mode == "json" else dumped

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


Config.model_fields = {
    spec.name: FieldInfo(spec.metadata["key"], spec.metadata["internal"], spec.metadata["check"])
    for spec in fields(Config)
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    return value


def _tomllib():
    """The TOML parser, imported when a file is read (not for a run that finds none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


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
        tomllib = _tomllib()
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
    tomllib = _tomllib()
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
    except UnknownKey as exc:
        raise ConfigError(f"{where}: unknown key '{exc.key}'") from None
    except InvalidValue as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return config.model_copy(update={"root": root})
