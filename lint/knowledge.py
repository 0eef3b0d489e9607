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
site-packages are found from the file system (pyvenv.cfg, lib/pythonX.Y,
Debian's dist-packages; the base interpreter's too when pyvenv.cfg says
include-system-site-packages), its Python version from pyvenv.cfg or the
interpreter's file name (through a `python3 -> python3.11` link); no
interpreter is started.
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
                # The metadata of an editable install is in site-packages, its
                # source in the folder a .pth line adds: look in every folder.
                version = next(filter(None, (installed_version(b, "flink_agents")
                                             for b in (base, *self.environment.site_packages))), None)
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


def _version_of_binary(name: str) -> Optional[PythonVersion]:
    """3.11 from `python3.11`, `python3.11.exe`, `pypy3.10`; None from `python3`."""
    for stem in ("python", "pypy"):
        if name.startswith(stem):
            return _version_from(name[len(stem):])
    return None


def _site_dirs(prefix: Path, version: Optional[PythonVersion]) -> tuple[list[str], Optional[PythonVersion]]:
    """The site-packages folders under an installation prefix, in the order
    the interpreter's site module adds them, and their Python version (the one
    given, else the highest the prefix holds: folders of other versions are
    left out)."""
    found: list[tuple[PythonVersion, str]] = []
    versions: set[PythonVersion] = set()
    for lib in ("lib", "lib64"):
        for candidate in sorted(glob.glob(str(prefix / lib / "python3.*")) + glob.glob(str(prefix / lib / "pypy3.*"))):
            seen = _version_of_binary(os.path.basename(candidate))
            if seen is None or not os.path.isdir(candidate):
                continue
            versions.add(seen)  # a standard library folder names a version even without site-packages
            for leaf in ("site-packages", "dist-packages"):
                path = os.path.join(candidate, leaf)
                if os.path.isdir(path):
                    found.append((seen, os.path.realpath(path)))
    windows = prefix / "Lib" / "site-packages"
    if windows.is_dir():
        found.append((version or sys.version_info[:2], str(windows.resolve())))
        versions.add(version or sys.version_info[:2])
    if version is None and versions:
        version = max(versions)  # numerically: 3.10 is above 3.9
    if version is not None:
        if any(v == version for v, _ in found):
            found = [(v, p) for v, p in found if v == version]
        # Debian and Ubuntu: /usr/local/lib/python3.X/dist-packages (pip) and
        # /usr/lib/python3/dist-packages (apt), before lib/python3.X/dist-packages.
        local = prefix / "local" / "lib" / f"python{version[0]}.{version[1]}" / "dist-packages"
        shared = prefix / "lib" / f"python{version[0]}" / "dist-packages"
        found = ([(version, os.path.realpath(local))] if local.is_dir() else []) \
            + [f for f in found if f[1].endswith("site-packages")] \
            + ([(version, os.path.realpath(shared))] if shared.is_dir() else []) \
            + [f for f in found if not f[1].endswith("site-packages")]
    paths: list[str] = []
    for _, path in found:
        if path not in paths:
            paths.append(path)
    return paths, version


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
    """The environment of an interpreter binary (a venv's or an installation's).
    Nothing is run: the installation is the folder above the binary's `bin/`
    (on Windows the binary's own folder), followed through symbolic links when
    the link's own folder holds no packages; the version comes from the
    binary's name or, for `python3`, the name of the file it links to."""
    executable = Path(os.path.abspath(path))
    if (executable.parent.parent / "pyvenv.cfg").is_file():
        return virtualenv(executable.parent.parent, why)
    real = Path(os.path.realpath(executable))
    version = _version_of_binary(executable.name) or _version_of_binary(real.name)
    for prefix in dict.fromkeys((executable.parent.parent, executable.parent, real.parent.parent)):
        paths, found_version = _site_dirs(prefix, version)
        if paths:
            return Environment(f"interpreter {executable} ({why})", _with_pth_paths(paths),
                               found_version or (sys.version_info[0], sys.version_info[1]))
    raise EnvironmentProblem(f"no site-packages found for the Python interpreter {path} "
                             "(give a virtual environment's folder or the interpreter itself, not a wrapper script)")


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
            if (target / "pyvenv.cfg").is_file():
                return virtualenv(target, "--python / python setting")
            if not _site_dirs(target, None)[0] and not (target / "bin").is_dir():
                raise EnvironmentProblem(f"{python} is neither a virtual environment nor a Python installation")
            binary = target / "bin" / "python"
            try:
                return interpreter(binary if binary.exists() else target / "bin" / "python3", "--python / python setting")
            except EnvironmentProblem:
                raise EnvironmentProblem(f"{python} is neither a virtual environment nor a Python installation") from None
        if not target.exists():
            raise EnvironmentProblem(f"{python} does not exist")
        if not os.access(target, os.X_OK):
            raise EnvironmentProblem(f"{python} is not a Python interpreter (not executable) "
                                     "nor a virtual environment's folder")
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

@lru_cache(maxsize=1)
def typeshed_version() -> str:
    """The typeshed_client release whose typeshed copy is read. Its own
    `__version__` when it has one: importlib.metadata costs more to import
    than a warm run spends on a file."""
    try:
        import typeshed_client
    except ImportError:  # pragma: no cover - a declared dependency
        return "typeshed_client (not installed)"
    version = getattr(typeshed_client, "__version__", None)
    if not isinstance(version, str):
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as distribution_version

        try:
            version = distribution_version("typeshed_client")
        except PackageNotFoundError:  # pragma: no cover
            return "typeshed_client (not installed)"
    return f"typeshed_client {version}"


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
