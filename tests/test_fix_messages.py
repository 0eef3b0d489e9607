"""Messages around fixes (issue 10, item 12).

- The MEM105 hint names the dict that holds the keys, not the list (or dict)
  around it: `.items()` on a list is an AttributeError.
- `--fix --unsafe-fixes` prints the reads memlint could not rewrite, as
  `check` (in the message) and `--diff` (before the patch) do: readers would
  otherwise break silently.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import memlint
from memlint.cli import main


def messages(text: str, code: str) -> list[str]:
    return [d.message for d in memlint.lint_source(textwrap.dedent(text), "agent.py") if d.code == code]


def test_mem105_hint_converts_the_dict_in_the_list_not_the_list() -> None:
    (message,) = messages('''\
        from uuid import uuid4


        def act(ctx) -> None:
            ctx.short_term_memory.set("l", [uuid4(), (1, 2), {1: 2}])
    ''', "MEM105")
    assert ".items()" in message
    assert "[uuid4()" not in message, message
    assert message == ('dict with int keys in a list stored at memory path "l"; convert its keys: '
                       '{str(k): v for k, v in ({1: 2}).items()}')


def test_mem105_hint_for_a_dict_in_a_dict_value_and_for_the_value_itself() -> None:
    found = messages('''\
        def act(ctx) -> None:
            ctx.short_term_memory.set("o", {"a": {2: 3}})
            d = {1: "x"}
            ctx.short_term_memory.set("n", d)
    ''', "MEM105")
    assert found == [
        'dict with int keys in a dict value stored at memory path "o"; convert its keys: '
        '{str(k): v for k, v in ({2: 3}).items()}',
        'dict with int keys stored at memory path "n"; convert the keys: {str(k): v for k, v in d.items()}',
    ]


def test_fix_prints_the_reads_it_could_not_rewrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = textwrap.dedent('''\
        from flink_agents.api.events.chat_event import ChatResponseEvent


        def save(event: ChatResponseEvent, ctx) -> None:
            ctx.short_term_memory.set("id", event.request_id)


        def show(ctx) -> None:
            print(ctx.short_term_memory.get("id"))
    ''')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agent.py").write_text(text, encoding="utf-8")
    assert main(["check", "--jobs", "1", "--fix", "--unsafe-fixes", "agent.py"]) == 0
    out = capsys.readouterr().out
    assert "str(event.request_id)" in (tmp_path / "agent.py").read_text(encoding="utf-8")
    assert "memlint: note: agent.py:5: MEM101: rebuild it by hand where it is read: line 9" in out.splitlines(), out
    assert "Fixed 1 error." in out
