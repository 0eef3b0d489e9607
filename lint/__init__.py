"""memlint: keep Apache Flink Agents memory checkpoint-safe.

The public names are imported on first use, so `import memlint` (done by the
flake8 plugin and the command line at every start) costs nearly nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Config": "config",
    "ConfigError": "config",
    "load_config": "config",
    "Diagnostic": "diagnostics",
    "Edit": "diagnostics",
    "Fix": "diagnostics",
    "Related": "diagnostics",
    "lint_paths": "api",
    "lint_source": "api",
}

__all__ = [*_PUBLIC, "__version__"]

if TYPE_CHECKING:
    from .api import lint_paths, lint_source
    from .config import Config, ConfigError, load_config
    from .diagnostics import Diagnostic, Edit, Fix, Related


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'memlint' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
