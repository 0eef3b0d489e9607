"""The rule registry: codes, names, documentation shape, and rule selection."""
from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import pytest


def _load_rules():
    try:
        from memlint import rules
    except Exception:  # the package is mid-edit elsewhere: load the module file alone
        path = Path(__file__).resolve().parents[1] / "lint" / "rules.py"
        spec = importlib.util.spec_from_file_location("_memlint_rules_under_test", path)
        rules = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = rules
        spec.loader.exec_module(rules)
    return rules


rules = _load_rules()
RULES = rules.RULES

# The rule table of DESIGN.md, written out by hand.
EXPECTED = {
    "MEM000": "syntax-error",
    "MEM100": "unused-noqa",
    "MEM101": "uuid-value",
    "MEM102": "model-value",
    "MEM103": "enum-value",
    "MEM104": "container-type",
    "MEM105": "non-str-key",
    "MEM106": "object-value",
    "MEM107": "memory-object-value",
    "MEM201": "incomplete-normalization",
    "MEM900": "unproven-value",
}
ALL_CODES = frozenset(EXPECTED)
DEFAULT_CODES = ALL_CODES - {"MEM900"}
MEM1 = frozenset(c for c in EXPECTED if c.startswith("MEM1"))
# Rules about a value written to memory (all but the file-level ones).
VALUE_RULES = sorted(ALL_CODES - {"MEM000", "MEM100"})
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"]

DESIGN_MD = Path("/work/shared/DESIGN.md")


# --------------------------------------------------------------------------- registry


def test_registry_matches_design_table():
    assert list(RULES) == sorted(EXPECTED)
    assert {code: rule.name for code, rule in RULES.items()} == EXPECTED


@pytest.mark.skipif(not DESIGN_MD.is_file(), reason="DESIGN.md not available")
def test_literal_table_matches_design_md():
    rows = re.findall(r"^\| (MEM\d{3}) \| ([a-z-]+) \|", DESIGN_MD.read_text(encoding="utf-8"), re.M)
    assert dict(rows) == EXPECTED


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_rule_attributes(code):
    rule = RULES[code]
    assert rule.code == code
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.summary and "\n" not in rule.summary and not rule.summary.endswith(".")
    assert rule.default_level in ("error", "warning", "note")
    assert rule.strict_only is (code == "MEM900")
    for attr in ("what_it_does", "why_bad", "example", "use_instead", "fix_safety"):
        assert getattr(rule, attr).strip(), f"{code}.{attr} is empty"
    assert rule.url() == rules.DOCS_URL.format(anchor=code.lower())
    assert rule.url().endswith("#" + code.lower())


def test_value_rules_are_errors():
    for code in ("MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM107", "MEM201"):
        assert RULES[code].default_level == "error"


def test_get_rule():
    assert rules.get_rule("MEM101") is RULES["MEM101"]
    with pytest.raises(KeyError):
        rules.get_rule("MEM999")
    with pytest.raises(KeyError):
        rules.get_rule("MEM1")  # a prefix is not a code


# --------------------------------------------------------------------------- documentation


def _code_blocks(doc: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", doc, re.M | re.S)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_documentation_sections_in_order(code):
    rule = RULES[code]
    doc = rule.documentation()
    lines = doc.splitlines()
    assert lines[0] == f"# {rule.name} ({code})"
    prose = re.sub(r"^```python\n.*?^```$", "", doc, flags=re.M | re.S)
    headings = [line for line in prose.splitlines() if line.startswith("#")]
    assert headings == [lines[0], *SECTIONS]
    blocks = _code_blocks(doc)
    assert len(blocks) == 2
    assert blocks[0].rstrip("\n") == textwrap.dedent(rule.example).strip("\n").rstrip()
    assert blocks[1].rstrip("\n") == textwrap.dedent(rule.use_instead).strip("\n").rstrip()
    # Example block sits between "## Example" and "## Use instead".
    assert doc.index("## Example") < doc.index(blocks[0]) < doc.index("## Use instead") < doc.index(blocks[1])


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_examples_are_python_with_a_memory_write(code):
    rule = RULES[code]
    example, use_instead = _code_blocks(rule.documentation())
    if code == "MEM000":
        with pytest.raises(SyntaxError):
            ast.parse(example)
    else:
        ast.parse(example)
    ast.parse(use_instead)
    assert ".set(" in example
    assert ".set(" in use_instead
    assert example != use_instead


@pytest.mark.parametrize("code", sorted(ALL_CODES - {"MEM000"}))
def test_examples_are_agent_actions(code):
    for block in _code_blocks(RULES[code].documentation()):
        assert "@action(" in block
        assert re.search(r"ctx\.(short_term|sensory)_memory\b", block)
        assert ".set(" in block


@pytest.mark.parametrize("code", VALUE_RULES)
def test_use_instead_rebuilds_on_read(code):
    use_instead = RULES[code].use_instead
    assert "_memory.get(" in use_instead


@pytest.mark.parametrize("code", VALUE_RULES)
def test_value_rules_explain_the_restore_crash(code):
    why = RULES[code].why_bad
    for needle in ("Pemja", "JNI pointer", "SIGSEGV", "TaskManager", "MiniCluster", "0.3.1", "TypeError"):
        assert needle in why, f"{code} why_bad lacks {needle!r}"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_fix_safety_says_whether_there_is_a_fix(code):
    text = RULES[code].fix_safety
    assert "fix" in text.lower()


def test_mem201_explains_the_chat_message_case():
    doc = RULES["MEM201"].documentation()
    for needle in ('model_dump(mode="json")', "MessageRole", "@model_serializer", "ChatMessage",
                   "dataclasses.asdict", "vars(x)", "__dict__", "dict(model)", "primitive"):
        assert needle in doc, needle
    assert ".model_dump())" in RULES["MEM201"].example
    assert 'model_dump(mode="json")' in RULES["MEM201"].use_instead


def test_mem104_lists_the_containers():
    doc = RULES["MEM104"].what_it_does
    for needle in ("tuple", "`set`", "frozenset", "OrderedDict", "defaultdict", "Counter", "deque",
                   "generator", "range"):
        assert needle in doc, needle


def test_mem106_lists_types_and_conversions():
    doc = RULES["MEM106"].what_it_does
    for needle in ("datetime", "isoformat()", "Decimal", "Path", "as_posix()", "complex", "bytearray",
                   "bytes(x)", "memoryview", "dataclasses.asdict", "attrs", ".item()", ".tolist()",
                   'flink-agents-version = "0.3"'):
        assert needle in doc, needle


def test_specific_rules_name_their_conversion():
    assert "str(" in RULES["MEM101"].use_instead and "UUID(" in RULES["MEM101"].use_instead
    assert "model_validate(" in RULES["MEM102"].use_instead
    assert ".value" in RULES["MEM103"].use_instead
    assert ".items()" in RULES["MEM105"].use_instead
    assert "new_object(" in RULES["MEM107"].use_instead
    assert "new_object(path)" in RULES["MEM107"].why_bad
    assert "--strict" in RULES["MEM900"].what_it_does


# --------------------------------------------------------------------------- selection


def sel(select=None, ignore=(), extend_select=(), strict=False):
    return rules.select_codes(select, ignore, extend_select, strict=strict)


def test_default_selection_excludes_strict_only():
    result = sel()
    assert isinstance(result, frozenset)
    assert result == DEFAULT_CODES
    assert {"MEM000", "MEM100"} <= result


def test_strict_adds_mem900():
    assert sel(strict=True) == ALL_CODES
    assert sel(["MEM101"], strict=True) == {"MEM101", "MEM900"}


def test_all_and_linter_prefix():
    assert sel(["ALL"]) == DEFAULT_CODES
    assert sel(["MEM"]) == DEFAULT_CODES
    assert sel(["ALL"], strict=True) == ALL_CODES
    assert sel(["MEM"], strict=True) == ALL_CODES


def test_prefixes():
    assert sel(["MEM1"]) == MEM1
    assert MEM1 == {"MEM100", "MEM101", "MEM102", "MEM103", "MEM104", "MEM105", "MEM106", "MEM107"}
    assert sel(["MEM10"]) == MEM1
    assert sel(["MEM2"]) == {"MEM201"}
    assert sel(["MEM0"]) == {"MEM000"}
    assert sel(["MEM9"]) == frozenset()  # strict-only rules need strict mode or their exact code
    assert sel(["MEM9"], strict=True) == {"MEM900"}
    assert sel(["MEM101", "MEM2"]) == {"MEM101", "MEM201"}


def test_exact_strict_only_code_selects_it():
    assert sel(["MEM900"]) == {"MEM900"}
    assert sel(extend_select=["MEM900"]) == ALL_CODES


def test_select_replaces_default():
    assert sel([]) == frozenset()
    assert sel(["MEM102"]) == {"MEM102"}


def test_ignore():
    assert sel(ignore=["MEM101"]) == DEFAULT_CODES - {"MEM101"}
    assert sel(ignore=["MEM1"]) == DEFAULT_CODES - MEM1
    assert sel(ignore=["MEM000"]) == DEFAULT_CODES - {"MEM000"}
    assert sel(ignore=["ALL"]) == frozenset()
    assert sel(ignore=["MEM900"], strict=True) == DEFAULT_CODES
    assert sel(ignore=["MEM9"], strict=True) == DEFAULT_CODES


def test_more_specific_selector_wins():
    assert sel(["MEM101"], ignore=["MEM10"]) == {"MEM101"}
    assert sel(["MEM1"], ignore=["MEM101"]) == MEM1 - {"MEM101"}
    assert sel(["ALL"], ignore=["MEM1"], extend_select=["MEM105"]) == (DEFAULT_CODES - MEM1) | {"MEM105"}
    assert sel(ignore=["MEM"], extend_select=["MEM2"]) == {"MEM201"}


def test_equal_specificity_ignore_wins():
    assert sel(["MEM101"], ignore=["MEM101"]) == frozenset()
    assert sel(extend_select=["MEM1"], ignore=["MEM1"]) == DEFAULT_CODES - MEM1


def test_extend_select_adds():
    assert sel(["MEM101"], extend_select=["MEM102"]) == {"MEM101", "MEM102"}
    assert sel(extend_select=["MEM101"]) == DEFAULT_CODES
    assert sel([], extend_select=["MEM2"]) == {"MEM201"}


@pytest.mark.parametrize("bad", ["MEM999", "MEM3", "MEM1010", "FOO", "E501", "mem101", "M", ""])
@pytest.mark.parametrize("where", ["select", "ignore", "extend_select"])
def test_unknown_code_raises(bad, where):
    kwargs = {"select": None, "ignore": (), "extend_select": ()}
    kwargs[where] = [bad]
    with pytest.raises(ValueError) as info:
        rules.select_codes(**kwargs)
    assert str(info.value) == f"unknown rule code or prefix {bad!r}"


def test_unknown_code_message_matches_brief():
    with pytest.raises(ValueError, match=r"^unknown rule code or prefix 'MEM999'$"):
        sel(["MEM999"])
