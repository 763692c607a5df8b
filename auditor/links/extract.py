"""Every link an entry has: URLs in its front matter, Markdown links, HTML hrefs and bare URLs in its body.

Fenced code blocks and inline code spans are skipped: a URL in an example is not a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditor.markdown_text import fenced_lines
from auditor.models import Entry

_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_MD_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]"  # [text], one level of nested brackets allowed
    r"\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"  # (target, balanced parentheses allowed
    r"(?:\s+[\"'(][^\n]*?[\"')])?\s*\)"  # "optional title")
)
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>", re.IGNORECASE)
_HREF = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_BARE = re.compile(r"\bhttps?://[^\s<>\[\]\"'`]+", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_TRAILING = ".,;:!?*_~'\""
# A link whose target is itself Markdown (`[x](<[https://a](https://b)>)`, `[x]([y](z))`): pasted twice.
_MARKDOWN_TARGET = re.compile(r"\]\(\s*<?\s*(\[[^\]\n]*\]\([^)\n]*\))\s*>?\s*\)")
# A web address whose scheme is mistyped or doubled: `https:/x.com`, `https://https://x.com`, `htps://x.com`.
_BAD_SCHEME = re.compile(r"^(?:https?:/(?!/)|https?:///|https?://\s*https?:|ht+ps?:/(?<!https:/)(?<!http:/)|https?//)",
                         re.IGNORECASE)


@dataclass(frozen=True)
class LinkUse:
    """One place an entry uses a link."""

    url: str
    line: int
    where: str  # "front matter `links.docs`" or "body"

    @property
    def is_web(self) -> bool:
        return self.url.lower().startswith(("http://", "https://"))

    @property
    def is_internal(self) -> bool:
        """A link into the directory itself: a relative path, a root-relative path, or `#anchor`."""
        return not self.is_web and not _SCHEME.match(self.url) and not self.url.startswith("//") and bool(self.url)


def _strip_bare(url: str) -> str:
    url = url.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    return url


def _front_matter_urls(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        text = value.strip()
        if text.lower().startswith(("http://", "https://")) and " " not in text:
            yield path, text
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _front_matter_urls(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _front_matter_urls(item, f"{path}[{index}]")


def body_links(line: str) -> list[str]:
    """The link targets on one body line (outside code spans), in order."""
    # Most prose lines hold no link: every pattern below needs one of these literals.
    if "](" not in line and "://" not in line and "=" not in line and "]:" not in line:
        return []
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], group: int = 1) -> None:
        target = match.group(group).strip()
        if target:
            found.append((match.start(), target))
        taken.append(match.span())

    ref = _REF_DEF.match(text)
    if ref:
        add(ref)
    for pattern in (_MD_LINK, _AUTOLINK, _HREF):
        for match in pattern.finditer(text):
            if not any(start <= match.start() < end for start, end in taken):
                add(match)
    for match in _BARE.finditer(text):
        if not any(start <= match.start() < end for start, end in taken):
            url = _strip_bare(match.group(0))
            if url:
                found.append((match.start(), url))
    return [target for _, target in sorted(found)]


def malformed_targets(line: str) -> list[tuple[str, str]]:
    """(target, what is wrong) for each link on a body line whose target cannot be a URL or a path as written."""
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    found = [(match.group(1), "its target is itself a Markdown link") for match in _MARKDOWN_TARGET.finditer(text)]
    if not found:
        found = [(target, "its address has a mistyped scheme") for target in body_links(line)
                 if _BAD_SCHEME.match(target)]
    return found


def malformed_links(entry: Entry) -> list[tuple[int, str, str]]:
    """(line, target, what is wrong) for every body link of the entry that is no URL or path (fenced code left out)."""
    code = fenced_lines(entry.body_lines)
    found = []
    for offset, line in enumerate(entry.body_lines):
        if code[offset] or "](" not in line:
            continue
        found += [(entry.body_start + offset, target, why) for target, why in malformed_targets(line)]
    return found


def extract_links(entry: Entry) -> list[LinkUse]:
    """Every use of a link in the entry, front matter first, then the body in line order."""
    uses: list[LinkUse] = []
    for key, value in entry.meta.items():
        if key in ("related", "audit-ignore"):
            continue
        for path, url in _front_matter_urls(value, ""):
            suffix = path if not path or path.startswith("[") else "." + path
            uses.append(LinkUse(url, entry.line_of(str(key)), f"front matter `{key}{suffix}`"))
    lines = entry.body_lines
    if not _may_link("\n".join(lines)):  # no line can hold a link (most entries of a large directory hold none):
        return uses                       # decided in one pass over the text, not two million calls
    code = fenced_lines(lines)
    for offset, line in enumerate(lines):
        if code[offset]:
            continue
        for target in body_links(line):
            uses.append(LinkUse(target, entry.body_start + offset, "body"))
    return uses


def _may_link(text: str) -> bool:
    """Whether `body_links` can find anything on some line of `text` (its own test, on all the lines at once: none
    of its literals holds a line break, so joining the lines makes none of them)."""
    return "](" in text or "://" in text or "=" in text or "]:" in text


def web_links(entries: Iterable[Entry]) -> dict[str, list[tuple[Entry, LinkUse]]]:
    """Every distinct web URL and the entries and lines that use it."""
    found: dict[str, list[tuple[Entry, LinkUse]]] = {}
    for entry in entries:
        for use in extract_links(entry):
            if use.is_web:
                found.setdefault(use.url, []).append((entry, use))
    return found
