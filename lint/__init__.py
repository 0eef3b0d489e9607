"""memlint: keep Apache Flink Agents memory checkpoint-safe."""
from .api import lint_paths, lint_source
from .config import Config, ConfigError, load_config
from .diagnostics import Diagnostic, Edit, Fix, Related

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Diagnostic",
    "Edit",
    "Fix",
    "Related",
    "__version__",
    "lint_paths",
    "lint_source",
    "load_config",
]
