"""Markdown facts every step needs: which lines are fenced code (CommonMark's rules, not a toggle on ```)."""

from __future__ import annotations

import re

# Any indentation: fences inside list items are indented with the item, and a missed fence costs more than a
# misread indented one.
_OPENING = re.compile(r"^\s*(`{3,}|~{3,})")


def fenced_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (its fence lines included).

    A fence closes only with the same character, at least as many of it, and nothing else on the line, so a
    ````markdown block may hold ``` examples, and an unclosed fence runs to the end (as CommonMark says)."""
    if not any("```" in line or "~~~" in line for line in lines):
        return [False] * len(lines)  # the common case, decided without a regex per line
    mask: list[bool] = []
    fence = ""
    for line in lines:
        if fence:
            mask.append(True)
            stripped = line.strip()
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                fence = ""
            continue
        match = _OPENING.match(line) if ("`" in line or "~" in line) else None
        if match and not (match.group(1)[0] == "`" and "`" in line[match.end():]):
            fence = match.group(1)
            mask.append(True)
        else:
            mask.append(False)
    return mask
