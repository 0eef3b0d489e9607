"""docs/rules.md (the target of every diagnostic's url) matches the registry."""
from pathlib import Path

from memlint.docs import rules_markdown
from memlint.rules import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_page_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `python -m memlint.docs > docs/rules.md`"
    )


def test_every_rule_url_has_an_anchor_on_the_page() -> None:
    page = DOCS.read_text(encoding="utf-8")
    for code, rule in RULES.items():
        anchor = rule.url().rsplit("#", 1)[1]
        assert anchor == code.lower()
        assert f'<a id="{anchor}"></a>' in page
