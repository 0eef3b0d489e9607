"""Configuration: `[tool.memlint]` in pyproject.toml, or a standalone memlint.toml."""
from __future__ import annotations

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
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = Field(default=(), alias="extend-exclude")
    strict: bool = Field(default=False, strict=True)  # TOML has booleans: no "yes"/1 coercion
    memory_types: tuple[str, ...] = Field(default=(), alias="memory-types")
    memory_attributes: tuple[str, ...] = Field(default=(), alias="memory-attributes")
    flink_agents_version: str | None = Field(default=None, alias="flink-agents-version")
    # The environment whose installed packages are read: an interpreter or a virtualenv.
    python: str | None = None
    # Where the configuration was found; resolves relative excludes and the project root.
    root: str | None = Field(default=None, exclude=True)

    @field_validator("select", "ignore", "extend_select")
    @classmethod
    def _known_codes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        for code in value:
            _check_code_prefix(code)
        return value

    @field_validator("per_file_ignores")
    @classmethod
    def _known_ignore_codes(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for codes in value.values():
            for code in codes:
                _check_code_prefix(code)
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
        for name in CONFIG_FILES:
            candidate = directory / name
            if not candidate.is_file():
                continue
            if name == "memlint.toml":
                return candidate
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    section: Any = data
    where = str(path)
    if Path(path).name != "memlint.toml":
        tool = data.get("tool", {})
        section = tool.get("memlint", {}) if isinstance(tool, dict) else {}
        where = f"{path}: [tool.memlint]"
    return config_from_mapping(section, where, root=str(Path(path).resolve().parent))


def config_from_mapping(section: Any, where: str, root: str | None = None) -> Config:
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: expected a table")
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
