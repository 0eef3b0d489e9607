"""Configuration: `[tool.memlint]` in pyproject.toml, or a standalone memlint.toml.

Every key of README.md's configuration section is exercised through the real
`memlint check` command; bad keys and bad values are one-line errors naming
the key, exit 2, never a traceback (issue 2 §4, DESIGN.md "Bad input").
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import memlint as memlint_api
from test_cli import CLEAN, MIXED, UNKNOWN_VALUE, assert_user_error, col, diagnostic_lines, line_no, write


def memlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "memlint", *args], cwd=str(cwd), capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def codes_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return [row[3] for row in diagnostic_lines(result.stdout)]


def pyproject(root: Path, body: str) -> Path:
    return write(root / "pyproject.toml", '[project]\nname = "agents"\nversion = "0.1"\n\n[tool.memlint]\n' + body)


# ------------------------------------------------------------------ discovery


def test_pyproject_found_from_the_checked_path_upward(tmp_path: Path) -> None:
    project = tmp_path / "project"
    pyproject(project, 'ignore = ["MEM101"]\n')
    agent = write(project / "src" / "agents" / "agent.py", MIXED)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # From another working directory, naming the file and its folder.
    assert sorted(codes_of(memlint("check", str(agent), cwd=elsewhere))) == ["MEM103", "MEM106"]
    assert sorted(codes_of(memlint("check", str(agent.parent), cwd=elsewhere))) == ["MEM103", "MEM106"]
    # From the project itself.
    assert sorted(codes_of(memlint("check", "src", cwd=project))) == ["MEM103", "MEM106"]


def test_pyproject_without_memlint_section_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "agents"\nversion = "0.1"\n')
    write(tmp_path / "agent.py", MIXED)
    assert sorted(codes_of(memlint("check", "agent.py", cwd=tmp_path))) == ["MEM101", "MEM103", "MEM106"]


def test_config_of_the_working_directory_does_not_apply_to_another_tree(tmp_path: Path) -> None:
    here = tmp_path / "here"
    write(here / "memlint.toml", 'ignore = ["MEM1"]\n')
    agent = write(tmp_path / "there" / "agent.py", MIXED)
    assert sorted(codes_of(memlint("check", str(agent), cwd=here))) == ["MEM101", "MEM103", "MEM106"]


def test_standalone_memlint_toml_top_level_keys(tmp_path: Path) -> None:
    write(tmp_path / "memlint.toml", 'select = ["MEM103"]\n')
    write(tmp_path / "pkg" / "agent.py", MIXED)
    assert codes_of(memlint("check", "pkg", cwd=tmp_path)) == ["MEM103"]


# ------------------------------------------------------------------- the keys


@pytest.mark.parametrize("body, expected", [
    ('select = ["MEM103"]\n', ["MEM103"]),
    ('select = ["MEM10"]\nignore = ["MEM101"]\n', ["MEM103", "MEM106"]),
    ('ignore = ["MEM106"]\n', ["MEM101", "MEM103"]),
    ('select = ["MEM101"]\nextend-select = ["MEM106"]\n', ["MEM101", "MEM106"]),
    ('select = []\n', []),
])
def test_selection_keys(tmp_path: Path, body: str, expected: list[str]) -> None:
    pyproject(tmp_path, body)
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", "agent.py", cwd=tmp_path)
    assert codes_of(result) == expected
    assert result.returncode == (1 if expected else 0)


def test_per_file_ignores(tmp_path: Path) -> None:
    pyproject(tmp_path, '[tool.memlint.per-file-ignores]\n"tests/*" = ["MEM101", "MEM106"]\n')
    write(tmp_path / "tests" / "test_agent.py", MIXED)
    write(tmp_path / "src" / "agent.py", MIXED)
    result = memlint("check", ".", cwd=tmp_path)
    by_file: dict[str, list[str]] = {}
    for path, _line, _col, code, _message in diagnostic_lines(result.stdout):
        by_file.setdefault(Path(path).parent.name, []).append(code)
    assert by_file == {"tests": ["MEM103"], "src": ["MEM101", "MEM103", "MEM106"]}


def test_per_file_ignores_inline_table_and_prefix(tmp_path: Path) -> None:
    pyproject(tmp_path, 'per-file-ignores = { "legacy_*.py" = ["MEM1"] }\n')
    write(tmp_path / "legacy_agent.py", MIXED)
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", ".", cwd=tmp_path)
    paths = {Path(row[0]).name for row in diagnostic_lines(result.stdout)}
    assert paths == {"agent.py"}


@pytest.mark.parametrize("key, pattern", [
    ("exclude", "generated"),
    ("exclude", "generated/*"),
    ("extend-exclude", "generated"),
    ("extend-exclude", "generated/*"),
])
def test_exclude_skips_a_folder(tmp_path: Path, key: str, pattern: str) -> None:
    pyproject(tmp_path, f'{key} = ["{pattern}"]\n')
    write(tmp_path / "generated" / "stubs_agent.py", MIXED)
    write(tmp_path / "generated" / "deeper" / "more_agent.py", MIXED)
    write(tmp_path / "agent.py", MIXED)
    result = memlint("check", ".", cwd=tmp_path)
    paths = {Path(row[0]).as_posix().removeprefix("./") for row in diagnostic_lines(result.stdout)}
    assert paths == {"agent.py"}


def test_explicit_path_in_an_excluded_folder(tmp_path: Path) -> None:
    """A file named on the command line is checked even when excluded; with
    --force-exclude the excludes apply to it too (README, like Ruff)."""
    pyproject(tmp_path, 'exclude = ["generated"]\n')
    write(tmp_path / "generated" / "agent.py", MIXED)
    named = str(Path("generated") / "agent.py")
    assert sorted(codes_of(memlint("check", named, cwd=tmp_path))) == ["MEM101", "MEM103", "MEM106"]
    for target in (named, str(tmp_path / named)):
        result = memlint("check", "--force-exclude", target, cwd=tmp_path)
        assert codes_of(result) == [] and result.returncode == 0, (target, result.stdout)
    result = memlint("check", "--force-exclude", "generated", cwd=tmp_path)
    assert codes_of(result) == [] and result.returncode == 0, result.stdout


def test_exclude_by_name_at_any_depth(tmp_path: Path) -> None:
    pyproject(tmp_path, 'exclude = ["legacy"]\n')
    write(tmp_path / "src" / "app" / "legacy" / "agent.py", MIXED)
    write(tmp_path / "src" / "app" / "agent.py", MIXED)
    result = memlint("check", "src", cwd=tmp_path)
    paths = {Path(row[0]).as_posix() for row in diagnostic_lines(result.stdout)}
    assert paths == {"src/app/agent.py"}


def test_default_excludes(tmp_path: Path) -> None:
    for folder in (".venv/lib", "build", ".git", "node_modules/pkg"):
        write(tmp_path / folder / "agent.py", MIXED)
    write(tmp_path / "agent.py", CLEAN)
    result = memlint("check", ".", cwd=tmp_path)
    assert result.returncode == 0 and diagnostic_lines(result.stdout) == []


def test_strict_key(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", UNKNOWN_VALUE)
    assert codes_of(memlint("check", "agent.py", cwd=tmp_path)) == []
    pyproject(tmp_path, "strict = true\n")
    assert codes_of(memlint("check", "agent.py", cwd=tmp_path)) == ["MEM900"]


BYTES_AGENT = '''\
from flink_agents.api.runner_context import RunnerContext


def remember(ctx: RunnerContext) -> None:
    ctx.short_term_memory.set("raw", b"\\x00payload")
'''


def test_bytes_admitted_by_default(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", BYTES_AGENT)
    pyproject(tmp_path, "strict = true\n")  # exact bytes is proven primitive: not even MEM900
    assert codes_of(memlint("check", "agent.py", cwd=tmp_path)) == []


@pytest.mark.parametrize("version", ["0.3", "0.3.1"])
def test_flink_agents_0_3_flags_bytes(tmp_path: Path, version: str) -> None:
    write(tmp_path / "agent.py", BYTES_AGENT)
    pyproject(tmp_path, f'flink-agents-version = "{version}"\n')
    result = memlint("check", "agent.py", cwd=tmp_path)
    line = line_no(BYTES_AGENT, ".set(")
    rows = diagnostic_lines(result.stdout)
    assert [row[1:4] for row in rows] == [(line, col(BYTES_AGENT, line, 'b"'), "MEM106")]
    assert "bytes" in rows[0][4] and '"raw"' in rows[0][4]


MEMORY_ATTRIBUTE_AGENT = '''\
from uuid import uuid4


class Assistant:
    def __init__(self, agent_memory) -> None:
        self.agent_memory = agent_memory

    def remember(self) -> None:
        self.agent_memory.set("x", uuid4())
'''


def test_memory_attributes(tmp_path: Path) -> None:
    write(tmp_path / "assistant.py", MEMORY_ATTRIBUTE_AGENT)
    assert codes_of(memlint("check", "assistant.py", cwd=tmp_path)) == []
    pyproject(tmp_path, 'memory-attributes = ["agent_memory"]\n')
    result = memlint("check", "assistant.py", cwd=tmp_path)
    line = line_no(MEMORY_ATTRIBUTE_AGENT, ".set(")
    rows = diagnostic_lines(result.stdout)
    assert [row[1:4] for row in rows] == [(line, col(MEMORY_ATTRIBUTE_AGENT, line, "uuid4()"), "MEM101")]
    assert '"x"' in rows[0][4]


STATE_MODULE = '''\
class StateObject:
    """The application's own store, backed by Flink Agents memory."""

    def __init__(self) -> None:
        self._values: dict = {}

    def set(self, path: str, value: object) -> None:
        self._values[path] = value
'''

STATE_AGENT = '''\
from uuid import uuid4

from my_app.state import StateObject


def remember(state: StateObject) -> None:
    state.set("request_id", uuid4())
'''


def test_memory_types(tmp_path: Path) -> None:
    write(tmp_path / "my_app" / "__init__.py", "")
    write(tmp_path / "my_app" / "state.py", STATE_MODULE)
    write(tmp_path / "my_app" / "agent.py", STATE_AGENT)
    pyproject(tmp_path, "")
    assert codes_of(memlint("check", "my_app", cwd=tmp_path)) == []
    pyproject(tmp_path, 'memory-types = ["my_app.state.StateObject"]\n')
    result = memlint("check", "my_app", cwd=tmp_path)
    line = line_no(STATE_AGENT, ".set(")
    rows = diagnostic_lines(result.stdout)
    assert [(Path(row[0]).name, *row[1:4]) for row in rows] == [
        ("agent.py", line, col(STATE_AGENT, line, "uuid4()"), "MEM101")]
    assert '"request_id"' in rows[0][4]


def test_memory_types_through_an_alias(tmp_path: Path) -> None:
    write(tmp_path / "my_app" / "__init__.py", "")
    write(tmp_path / "my_app" / "state.py", STATE_MODULE)
    agent = STATE_AGENT.replace("import StateObject", "import StateObject as Store").replace(
        "state: StateObject", "state: Store")
    write(tmp_path / "my_app" / "agent.py", agent)
    pyproject(tmp_path, 'memory-types = ["my_app.state.StateObject"]\n')
    assert codes_of(memlint("check", "my_app", cwd=tmp_path)) == ["MEM101"]


# ----------------------------------------------------------------- bad config


BAD_CONFIG = [
    ('selekt = ["MEM101"]\n', "selekt"),
    ('memory_kinds = ["x"]\n', "memory_kinds"),
    ('strict = "yes"\n', "strict"),
    ("strict = 1\n", "strict"),
    ('select = "MEM101"\n', "select"),
    ('select = ["MEM999"]\n', "select"),
    ("ignore = [101]\n", "ignore"),
    ('extend-select = ["XYZ"]\n', "extend-select"),
    ('per-file-ignores = ["tests/*"]\n', "per-file-ignores"),
    ('per-file-ignores = { "tests/*" = ["MEM999"] }\n', "per-file-ignores"),
    ('exclude = "build"\n', "exclude"),
    ("extend-exclude = 5\n", "extend-exclude"),
    ('memory-types = "my_app.State"\n', "memory-types"),
    ("memory-attributes = 3\n", "memory-attributes"),
    ("flink-agents-version = 0.3\n", "flink-agents-version"),
    ('flink-agents-version = "latest"\n', "flink-agents-version"),
]


@pytest.mark.parametrize("where", ["pyproject.toml", "memlint.toml"])
@pytest.mark.parametrize("body, key", BAD_CONFIG)
def test_bad_key_or_value_is_a_config_error_naming_the_key(
    tmp_path: Path, where: str, body: str, key: str
) -> None:
    """In process (memlint.load_config), every bad key/value, in both files."""
    if where == "pyproject.toml":
        path = pyproject(tmp_path, body)
    else:
        path = write(tmp_path / "memlint.toml", body)
    for load in (lambda: memlint_api.load_config(path), lambda: memlint_api.load_config(start=tmp_path)):
        with pytest.raises(memlint_api.ConfigError) as caught:
            load()
        message = str(caught.value)
        assert "\n" not in message.strip() and key in message and where in message, message


@pytest.mark.parametrize("where, body, key", [
    ("pyproject.toml", *BAD_CONFIG[0]),
    ("pyproject.toml", *BAD_CONFIG[2]),
    ("pyproject.toml", *BAD_CONFIG[-1]),
    ("memlint.toml", *BAD_CONFIG[8]),
])
def test_bad_key_or_value_on_the_command_line(tmp_path: Path, where: str, body: str, key: str) -> None:
    """The command: exit 2, one line on stderr naming the key and the file, no traceback."""
    if where == "pyproject.toml":
        pyproject(tmp_path, body)
    else:
        write(tmp_path / "memlint.toml", body)
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), key, where)


def test_bad_config_through_config_option(tmp_path: Path) -> None:
    settings = write(tmp_path / "conf" / "memlint.toml", 'strict = "maybe"\n')
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "--config", str(settings), "agent.py", cwd=tmp_path), "strict")


def test_invalid_toml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path / "memlint.toml", 'select = ["MEM101"\n')
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "memlint.toml")


def test_invalid_pyproject_with_a_memlint_section_is_reported(tmp_path: Path) -> None:
    """Not silently skipped: the user's settings would vanish without a word."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.memlint]\nignore = ["MEM101"\n')
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "pyproject.toml")


def test_pyproject_tool_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", 'tool = "memlint"\n')
    write(tmp_path / "agent.py", MIXED)
    for args in (["agent.py"], ["--config", "pyproject.toml", "agent.py"]):
        result = memlint("check", *args, cwd=tmp_path)
        assert sorted(codes_of(result)) == ["MEM101", "MEM103", "MEM106"], result.stderr


def test_memlint_section_that_is_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool]\nmemlint = "everything"\n')
    write(tmp_path / "agent.py", MIXED)
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "pyproject.toml")


def test_command_line_selection_overrides_config(tmp_path: Path) -> None:
    pyproject(tmp_path, 'select = ["MEM103"]\n')
    write(tmp_path / "agent.py", MIXED)
    assert codes_of(memlint("check", "--select", "MEM101", "agent.py", cwd=tmp_path)) == ["MEM101"]
    assert codes_of(memlint("check", "--extend-select", "MEM106", "agent.py", cwd=tmp_path)) == [
        "MEM103", "MEM106"]


def test_each_path_uses_its_own_project_config(tmp_path: Path) -> None:
    pyproject(tmp_path / "a", 'ignore = ["MEM101"]\n')
    pyproject(tmp_path / "b", 'ignore = ["MEM103"]\n')
    write(tmp_path / "a" / "agent.py", MIXED)
    write(tmp_path / "b" / "agent.py", MIXED)
    expected = {"a": ["MEM103", "MEM106"], "b": ["MEM101", "MEM106"]}
    for order in (["a/agent.py", "b/agent.py"], ["b/agent.py", "a/agent.py"]):
        result = memlint("check", *order, cwd=tmp_path)
        by_project: dict[str, list[str]] = {}
        for path, _line, _col, code, _message in diagnostic_lines(result.stdout):
            by_project.setdefault(Path(path).parts[0], []).append(code)
        assert by_project == expected, order


# ------------------------------------------------- issue 9: extend, required-version


def test_extend_builds_on_another_configuration(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nignore = ["MEM101"]\nextend-exclude = ["generated"]\n')
    project = tmp_path / "services" / "agent"
    pyproject(project, 'extend = "../../pyproject.toml"\nextend-exclude = ["legacy"]\n')
    for folder in ("", "generated/", "legacy/"):
        write(project / f"{folder}agent.py", MIXED)
    result = memlint("check", ".", cwd=project)
    # The base's ignore and extend-exclude apply; the child's extend-exclude adds to it.
    assert [(row[0], row[3]) for row in diagnostic_lines(result.stdout)] == [
        ("agent.py", "MEM103"), ("agent.py", "MEM106")]
    # A child `select` starts the selection afresh: the base's ignore no longer applies.
    pyproject(project, 'extend = "../../pyproject.toml"\nselect = ["MEM101"]\n')
    assert codes_of(memlint("check", "agent.py", cwd=project)) == ["MEM101"]
    # A child extend-select re-enables what the base ignores.
    pyproject(project, 'extend = "../../pyproject.toml"\nextend-select = ["MEM101"]\n')
    assert codes_of(memlint("check", "agent.py", cwd=project)) == ["MEM101", "MEM103", "MEM106"]


def test_extend_errors_are_one_line(tmp_path: Path) -> None:
    write(tmp_path / "agent.py", MIXED)
    pyproject(tmp_path, 'extend = "missing.toml"\n')
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "extend", "missing.toml")
    write(tmp_path / "base" / "memlint.toml", 'extend = "../pyproject.toml"\n')
    pyproject(tmp_path, 'extend = "base/memlint.toml"\n')
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "cycle")
    write(tmp_path / "base" / "memlint.toml", 'ignore = ["MEM999"]\n')
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), "memlint.toml", "ignore")


@pytest.mark.parametrize("spec, ok", [
    (memlint_api.__version__, True),
    (f"=={memlint_api.__version__}", True),
    (">=0.1,<99", True),
    (">=99", False),
    (f"!={memlint_api.__version__}", False),
])
def test_required_version(tmp_path: Path, spec: str, ok: bool) -> None:
    write(tmp_path / "agent.py", MIXED)
    pyproject(tmp_path, f'required-version = "{spec}"\n')
    result = memlint("check", "agent.py", cwd=tmp_path)
    if ok:
        assert result.returncode == 1 and codes_of(result)
    else:
        assert_user_error(result, "required-version", memlint_api.__version__)


@pytest.mark.parametrize("body, key", [
    ('required-version = "banana"\n', "required-version"),
    ('respect-gitignore = "no"\n', "respect-gitignore"),
    ('extend-per-file-ignores = { "x" = ["MEM999"] }\n', "extend-per-file-ignores"),
    ('sources = []\n', "sources"),
])
def test_new_keys_are_validated(tmp_path: Path, body: str, key: str) -> None:
    write(tmp_path / "agent.py", MIXED)
    pyproject(tmp_path, body)
    assert_user_error(memlint("check", "agent.py", cwd=tmp_path), key)


# ------------------------------------------------- issue 8: Config without pydantic


def test_config_object_validates_normalizes_and_is_frozen() -> None:
    import dataclasses
    import pickle

    from memlint.config import Config, InvalidValue

    config = Config(ignore=["MEM101"], memory_attributes=["agent_memory"], per_file_ignores={"t/*": ["MEM1"]})
    assert config.ignore == ("MEM101",) and config.memory_attributes == ("agent_memory",)
    assert config.per_file_ignores == {"t/*": ("MEM1",)}
    assert config == Config(ignore=("MEM101",), memory_attributes=("agent_memory",),
                            per_file_ignores={"t/*": ("MEM1",)})
    assert pickle.loads(pickle.dumps(config)) == config  # settings travel to worker processes
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.strict = True  # type: ignore[misc]
    for bad, message in (({"strict": "yes"}, "invalid value for 'strict': Input should be a valid boolean"),
                         ({"ignore": ["MEM999"]}, "invalid value for 'ignore': unknown rule code or prefix 'MEM999'"),
                         ({"memory_types": ["a", 3]}, "invalid value for 'memory_types.1': Input should be a valid string")):
        with pytest.raises(InvalidValue) as caught:
            Config(**bad)
        assert str(caught.value) == message


def test_config_validate_copy_dump_and_fields() -> None:
    from memlint.config import Config, InvalidValue, UnknownKey

    by_key = Config.model_validate({"extend-select": ["MEM900"], "respect-gitignore": False})
    by_name = Config.model_validate({"extend_select": ["MEM900"], "respect_gitignore": False})
    assert by_key == by_name and by_key.extend_select == ("MEM900",) and by_key.respect_gitignore is False
    with pytest.raises(InvalidValue, match="'extend-select.0'"):  # named as written
        Config.model_validate({"extend-select": [1]})
    with pytest.raises(UnknownKey, match="'selekt'"):
        Config.model_validate({"selekt": ["MEM101"]})
    with pytest.raises(InvalidValue, match="'strict'"):  # a bad value is reported before an unknown key
        Config.model_validate({"selekt": ["MEM101"], "strict": 1})

    copied = by_key.model_copy(update={"root": "/project", "select": ("MEM101",)})
    assert (copied.root, copied.select, copied.extend_select) == ("/project", ("MEM101",), ("MEM900",))
    assert by_key.root is None and by_key.select is None
    with pytest.raises(TypeError):
        by_key.model_copy(update={"selekt": ()})

    dumped = copied.model_copy(update={"sources": (("select", "x.toml"),)}).model_dump(mode="json")
    assert "root" not in dumped and "sources" not in dumped  # set by memlint: not settings
    assert dumped["select"] == ["MEM101"] and dumped["per_file_ignores"] == {} and dumped["strict"] is False
    assert list(dumped) == [name for name, info in Config.model_fields.items() if not info.exclude]
    assert Config.model_fields["extend_select"].alias == "extend-select"
    assert Config.model_fields["select"].alias is None and Config.model_fields["sources"].exclude
