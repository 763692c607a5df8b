"""Entries hold their text once: repeated short strings are one object, sections are slices of the body lines."""

from __future__ import annotations

import pytest

from auditor import shared_text
from auditor.models import Entry
from auditor.sources.markdown import read_entry

KINDS = ("tool", "mcp", "skill", "news")


def _entry(name: str, extra: str = "") -> Entry:
    text = (f"---\nkind: tool\ntitle: {name.title()}\nsummary: Reads {name} files.\ntags: [cli, search]\n---\n"
            f"Intro line for {name}.\n\n## Overview\n\n- Runs locally\n{extra}\n## Pricing\n\n```sh\n# not a heading\n"
            f"{name} --help\n```\n\n## FAQ\n")
    return read_entry(text.encode(), name, f"tools/{name}.md", KINDS)


def test_repeated_short_text_is_one_object() -> None:
    long_line = "- " + "a sentence long enough not to be pooled " * 4
    first, second = _entry("alpha", long_line), _entry("beta", long_line)
    assert first.body_lines.index("- Runs locally") == second.body_lines.index("- Runs locally")
    at = first.body_lines.index("- Runs locally")
    assert first.body_lines[at] is second.body_lines[at]
    assert first.sections[0].title is second.sections[0].title
    assert [key for key in first.meta if key == "tags"][0] is [key for key in second.meta if key == "tags"][0]
    assert first.meta["tags"][0] is second.meta["tags"][0]
    assert first.kind is second.kind
    long_at = first.body_lines.index(long_line)
    assert first.body_lines[long_at] == second.body_lines[long_at]
    assert first.body_lines[long_at] is not second.body_lines[long_at]


def test_the_pool_never_grows_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_text, "_POOL_LIMIT", 10)
    monkeypatch.setattr(shared_text, "_pool", {})
    for number in range(25):
        shared_text.shared(f"line {number}")
    assert len(shared_text._pool) <= 10
    lines = [f"row {number}" for number in range(8)]
    shared_text.share_lines(lines)
    assert lines == [f"row {number}" for number in range(8)] and len(shared_text._pool) <= 10
    shared_text.forget()
    assert not shared_text._pool


def test_sections_are_slices_of_the_body_lines() -> None:
    entry = _entry("gamma")
    headings = [(section.title, section.level, section.line) for section in entry.sections]
    assert headings == [("Overview", 2, 9), ("Pricing", 2, 13), ("FAQ", 2, 20)]
    overview, pricing, faq = entry.sections
    assert all(section.lines is entry.body_lines for section in entry.sections)
    assert overview.body == [(10, ""), (11, "- Runs locally"), (12, "")]
    assert overview.text == "- Runs locally"
    assert pricing.body == [(14, ""), (15, "```sh"), (16, "# not a heading"), (17, "gamma --help"), (18, "```"),
                            (19, "")]
    assert pricing.text == "```sh\n# not a heading\ngamma --help\n```"
    assert faq.body == [] and faq.text == ""
    for section in entry.sections:  # each numbered line is the file's own line
        for number, text in section.body:
            assert entry.body_lines[number - entry.body_start] == text
