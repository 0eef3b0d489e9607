"""Fuzzing with generated programs (hypothesmith): a program Hypothesmith
generates, with a memory write inserted before or after it, never crashes
memlint; every fix of a program that compiles compiles too; fixing is
idempotent (a second pass changes nothing).

CI runs a bounded sample (MEMLINT_FUZZ_EXAMPLES, default 10 per strategy);
a larger run: `MEMLINT_FUZZ_EXAMPLES=500 python -m pytest tests/test_fuzz_programs.py`.
"""
from __future__ import annotations

import os
import warnings

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memlint import lint_source
from memlint.config import Config
from memlint.engine import Settings
from memlint.fix.apply import fix_text

EXAMPLES = int(os.environ.get("MEMLINT_FUZZ_EXAMPLES", "10"))

ACTION = '''
import uuid as _fuzz_uuid
from datetime import datetime as _fuzz_datetime


def _fuzz_action(event, ctx):
    _fuzz_value = {value}
    ctx.short_term_memory.set("fuzz", _fuzz_value)
    ctx.short_term_memory.set("fuzz.direct", {value})
    return _fuzz_value
'''
VALUES = st.sampled_from([
    "_fuzz_uuid.uuid4()", "[_fuzz_uuid.uuid4()] * 2", "{_fuzz_uuid.uuid4(): 1}", "(1, 2)",
    "_fuzz_datetime.now()", "{'k': [_fuzz_datetime.now()]}", "str(_fuzz_uuid.uuid4())", "object()",
    "lambda: 1", "{1, 2}", "None", "...",
])
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _compiles(text: str) -> bool:
    try:
        compile(text, "<fuzz>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _check(program: str, value: str, after: bool) -> None:
    action = ACTION.format(value=value)
    text = (program.rstrip("\n") + "\n" + action) if after else (action + "\n" + program)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        lint_source(text)  # no exception is the property
        if not _compiles(text):
            return
        for unsafe in (False, True):
            result = fix_text("fuzz.py", text, Settings.from_config(Config()), unsafe)
            assert _compiles(result.text), (text, result.text)
            again = fix_text("fuzz.py", result.text, Settings.from_config(Config()), unsafe)
            assert again.text == result.text, (text, result.text, again.text)


@SETTINGS
@given(program=hypothesmith.from_node(libcst.Module), value=VALUES, after=st.booleans())
def test_generated_modules(program: str, value: str, after: bool) -> None:
    _check(program, value, after)


@SETTINGS
@given(program=hypothesmith.from_grammar(), value=VALUES, after=st.booleans())
def test_generated_from_the_grammar(program: str, value: str, after: bool) -> None:
    _check(program, value, after)


@pytest.mark.parametrize("value", ["_fuzz_uuid.uuid4()", "[_fuzz_datetime.now()] * 2"])
def test_the_inserted_write_is_found(value: str) -> None:
    """The harness itself: on an empty program the inserted write is flagged and fixed."""
    text = ACTION.format(value=value)
    found = lint_source(text)
    assert found and all(d.code in ("MEM101", "MEM106") for d in found)
    result = fix_text("fuzz.py", text, Settings.from_config(Config()), True)
    assert result.text != text and _compiles(result.text)
