"""knowledge: where memlint learns what names outside the project stand for.

Resolution order, as a type checker's: the project's own modules (the
index's roots) → the target environment's installed packages (PEP 561 stub
packages first, then `.pyi` beside the source, then source; read, never
imported; an installed `flink_agents` is the user's real version) → the
bundled Flink Agents stubs of the configured version (generated from the
released source by tools/gen_flink_stubs.py) → the bundled stubs of the few
third-party libraries the rules are about (pydantic, numpy) → typeshed for
Python's own modules and builtins (through `typeshed_client`).

The target environment is, in this order: `--python PATH` or `python = "..."`
(an interpreter or a virtual environment), an active `VIRTUAL_ENV`, a
`.venv`/`venv` at the project root, the interpreter memlint runs in. Its
site-packages are found from the file system (pyvenv.cfg, lib/pythonX.Y);
no interpreter is started.
"""
from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_STUBS = PACKAGE_DIR / "stubs"
FLINK_STUBS = PACKAGE_DIR / "flink_stubs"
LATEST_RELEASE = "0.3"
FLINK_STUB_SETS = ("0.2", "0.3", "main")

PythonVersion = tuple[int, int]


class EnvironmentProblem(Exception):
    """A configured interpreter or environment that cannot be used."""


def flink_stub_set(version: Optional[str]) -> str:
    """The bundled stub set for a configured `flink-agents-version` (default:
    the latest release)."""
    if version is None:
        return LATEST_RELEASE
    if version == "main":
        return "main"
    parts = tuple(int(p) for p in version.split(".")[:2])
    if parts <= (0, 2):
        return "0.2"
    if parts[:2] == (0, 3):
        return "0.3"
    return "main"


@dataclass(frozen=True)
class Environment:
    """The Python environment whose installed packages memlint reads."""

    description: str  # what it is and why it was chosen
    site_packages: tuple[str, ...]
    python_version: PythonVersion


@dataclass(frozen=True)
class Knowledge:
    environment: Environment
    flink_stub_set: str  # "0.2", "0.3" or "main"

    @property
    def flink_stub_dir(self) -> str:
        return str(FLINK_STUBS / self.flink_stub_set)

    def flink_agents_source(self) -> str:
        """Where the Flink Agents API is known from, in words."""
        for base in self.environment.site_packages:
            if os.path.isdir(os.path.join(base, "flink_agents")):
                version = installed_version(base, "flink_agents")
                return f"flink-agents {version or '(unknown version)'} installed in {base}"
        return f"bundled stubs {self.flink_stub_set} (generated from the flink-agents source)"


def installed_version(site_packages: str, package: str) -> Optional[str]:
    """The version in a distribution's metadata, read from its dist-info folder."""
    pattern = re.sub(r"[-_.]+", "[-_.]", package)
    for info in sorted(glob.glob(os.path.join(site_packages, "*.dist-info"))):
        match = re.match(rf"(?i){pattern}-([^-]+)\.dist-info$", os.path.basename(info))
        if match:
            return match.group(1)
    return None


# -- finding the target environment ---------------------------------------------

def _read_pyvenv(venv: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _version_from(text: str) -> Optional[PythonVersion]:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _site_dirs(prefix: Path, version: Optional[PythonVersion]) -> tuple[list[str], Optional[PythonVersion]]:
    """The site-packages folders under an installation prefix, and the Python
    version their path names."""
    found: list[tuple[PythonVersion, str]] = []
    for lib in ("lib", "lib64"):
        for candidate in sorted(glob.glob(str(prefix / lib / "python3.*"))):
            seen = _version_from(os.path.basename(candidate)[len("python"):])
            for leaf in ("site-packages", "dist-packages"):
                path = os.path.join(candidate, leaf)
                if seen is not None and os.path.isdir(path):
                    found.append((seen, os.path.realpath(path)))
    windows = prefix / "Lib" / "site-packages"
    if windows.is_dir():
        found.append((version or sys.version_info[:2], str(windows.resolve())))
    if version is not None and any(v == version for v, _ in found):
        found = [(v, p) for v, p in found if v == version]
    paths: list[str] = []
    for _, path in found:
        if path not in paths:
            paths.append(path)
    return paths, (found[-1][0] if found else version)


def _with_pth_paths(site_packages: list[str]) -> tuple[str, ...]:
    """Site-packages plus the folders their `.pth` files add (editable installs)."""
    result: list[str] = []
    for base in site_packages:
        if base not in result:
            result.append(base)
        for pth in sorted(glob.glob(os.path.join(base, "*.pth"))):
            try:
                lines = Path(pth).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.realpath(os.path.join(base, line))
                if os.path.isdir(path) and path not in result:
                    result.append(path)
    return tuple(result)


def virtualenv(venv: Path, why: str) -> Environment:
    config = _read_pyvenv(venv)
    version = _version_from(config.get("version_info", config.get("version", "")))
    paths, version = _site_dirs(venv, version)
    if config.get("include-system-site-packages", "false").lower() == "true" and config.get("home"):
        base_paths, _ = _site_dirs(Path(config["home"]).parent, version)
        paths += base_paths
    return Environment(f"virtual environment {venv} ({why})", _with_pth_paths(paths),
                       version or (sys.version_info[0], sys.version_info[1]))


def interpreter(path: Path, why: str) -> Environment:
    """The environment of an interpreter binary (a venv's or an installation's)."""
    executable = Path(os.path.abspath(path))
    prefix = executable.parent.parent
    if (prefix / "pyvenv.cfg").is_file():
        return virtualenv(prefix, why)
    version = _version_from(executable.name[len("python"):]) if executable.name.startswith("python") else None
    paths, version = _site_dirs(prefix, version)
    if not paths:
        raise EnvironmentProblem(f"no site-packages found for the Python interpreter {path}")
    return Environment(f"interpreter {executable} ({why})", _with_pth_paths(paths),
                       version or (sys.version_info[0], sys.version_info[1]))


def running_interpreter() -> Environment:
    import site
    import sysconfig

    paths: list[str] = []
    for path in (*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]):
        if os.path.isdir(path) and os.path.realpath(path) not in paths:
            paths.append(os.path.realpath(path))
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user and os.path.isdir(user):
        paths.append(os.path.realpath(user))
    return Environment(f"the interpreter memlint runs in, {sys.executable}", _with_pth_paths(paths),
                       (sys.version_info[0], sys.version_info[1]))


def find_environment(python: Optional[str], project_root: Optional[Path],
                     environ: Optional[dict[str, str]] = None) -> Environment:
    """The target environment (see the module docstring for the order)."""
    environ = dict(os.environ) if environ is None else environ
    if python:
        target = Path(python).expanduser()
        if target.is_dir():
            if not (target / "pyvenv.cfg").is_file() and not _site_dirs(target, None)[0]:
                raise EnvironmentProblem(f"python: {python} is neither a virtual environment nor a Python installation")
            return virtualenv(target, "--python / python setting") if (target / "pyvenv.cfg").is_file() \
                else interpreter(target / "bin" / "python", "--python / python setting")
        if not target.exists():
            raise EnvironmentProblem(f"python: {python} does not exist")
        return interpreter(target, "--python / python setting")
    active = environ.get("VIRTUAL_ENV")
    if active and Path(active).is_dir():
        return virtualenv(Path(active), "VIRTUAL_ENV")
    if project_root is not None:
        for name in (".venv", "venv"):
            candidate = project_root / name
            if (candidate / "pyvenv.cfg").is_file():
                return virtualenv(candidate, f"{name} at the project root")
    return running_interpreter()


# -- typeshed ----------------------------------------------------------------------

def typeshed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"typeshed_client {version('typeshed_client')}"
    except PackageNotFoundError:  # pragma: no cover - a declared dependency
        return "typeshed_client (not installed)"


@lru_cache(maxsize=None)
def _typeshed_context(version: PythonVersion):
    from typeshed_client import finder

    return finder.get_search_context(search_path=[], version=version, platform=sys.platform)


@lru_cache(maxsize=4096)
def typeshed_stub(module: str, version: PythonVersion) -> Optional[tuple[str, bool]]:
    """(path, is_package) of typeshed's stub for a standard library module."""
    try:
        from typeshed_client import finder
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        path = finder.get_stub_file(module, search_context=_typeshed_context(version))
    except (ValueError, OSError):
        return None
    if path is None:
        return None
    return str(path), path.name == "__init__.pyi"
