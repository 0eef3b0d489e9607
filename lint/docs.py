"""docs/rules.md, generated from the rule registry (the target of every
diagnostic's `url`): `python -m memlint.docs > docs/rules.md`."""
from __future__ import annotations

from .rules import RULES


def rules_markdown() -> str:
    parts = [
        "# memlint rules",
        "",
        "Generated from `lint/rules.py` by `python -m memlint.docs > docs/rules.md`; "
        "`memlint rule CODE` prints the same text.",
        "",
        "| code | name | summary |",
        "|---|---|---|",
    ]
    for code, rule in RULES.items():
        parts.append(f"| [{code}](#{code.lower()}) | {rule.name} | {rule.summary} |")
    for code, rule in RULES.items():
        parts += ["", f'<a id="{code.lower()}"></a>', "", rule.documentation()]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
