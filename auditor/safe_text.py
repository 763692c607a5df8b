"""Showing text contributors wrote (titles, owners, file names, messages quoting them) where it could act.

A terminal obeys escape sequences (`\\e]0;...\\a` retitles the window, `\\e[2J` clears it) and a right-to-left override
reverses what follows it on the line; a spreadsheet runs a cell that starts like a formula; Markdown renders
HTML. Each output passes user text through the function for its medium, which keeps the text readable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from markupsafe import Markup, escape

# C0 and C1 control characters (tab and newline too: a one-line field must stay on one line), DEL, and the
# characters that reorder text: bidi embeddings, overrides and isolates, the Arabic letter mark.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LONG_VALUE = 300  # characters of a value the HTML report shows before "show all"


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: object, keep_lines: bool = False) -> str:
    """The text with every control character and bidi control written as a visible escape (`\\x1b`, `\\u202e`)."""
    return (_UNSAFE_KEEP_LINES if keep_lines else _UNSAFE).sub(_visible, str(text))


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading `'` (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def markdown_text(text: object) -> str:
    """Plain text for a Markdown line: HTML escaped, on one line."""
    return html.escape(" ".join(str(text).splitlines()), quote=False)


def markdown_code(text: object) -> str:
    """A Markdown code span holding the text as it is: fenced with more backticks than any run inside it."""
    value = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def html_user(text: object, limit: int = LONG_VALUE, render: Callable[[str], Markup] = escape) -> Markup:
    """User text in the HTML report: isolated from the text around it (`<bdi>`: a right-to-left title cannot
    reorder the path beside it), and when longer than `limit`, cut with the whole value one click away. `render`
    escapes the text (and may mark it up)."""
    value = "" if text is None else str(text)
    if len(value) <= limit:
        # joined as plain strings (`render` escaped the value): Markup's `%` costs several times more, and the
        # report shows tens of thousands of these
        return Markup("".join(("<bdi>", render(value), "</bdi>")))
    return Markup('<bdi>%s</bdi>… <details class="long"><summary>show all %s characters</summary>'
                  '<bdi class="full">%s</bdi></details>') % (render(value[:limit]), f"{len(value):,}", render(value))
