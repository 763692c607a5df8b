"""Which links an entry has, and what a fetched page says (no network here)."""

from __future__ import annotations

from auditor.config import load_rule_pack
from auditor.links.content import Markers, read_page
from auditor.links.extract import body_links, extract_links
from auditor.sources.markdown import read_entry

MARKERS = Markers.from_pack(load_rule_pack().get("links"))

ENTRY = """---
kind: tool
title: Widgets
links: {docs: https://example.com/docs, repo: https://example.org/widgets}
pricing:
  - {plan: Pro, price: "$20/month", source: https://example.com/pricing, checked: 2026-10-01}
---
## Use cases
See [the guide](https://example.com/guide "Guide"), <https://example.com/auto> and https://example.com/bare.
A wiki link https://en.wikipedia.org/wiki/Rust_(programming_language), then a period.
Inline `https://example.com/in-code` is not a link; ![diagram](../assets/flow.png) is.
```sh
curl https://example.com/in-fence
```
[ref]: https://example.com/reference
<a href="https://example.com/html">html</a> and [same](https://example.com/docs) again.
"""


def test_extracts_front_matter_and_body_links_with_lines() -> None:
    entry = read_entry(ENTRY.encode(), "widgets", "tools/widgets.md", ("tool",))
    uses = [(u.url, u.line) for u in extract_links(entry)]
    assert uses == [
        ("https://example.com/docs", 4), ("https://example.org/widgets", 4), ("https://example.com/pricing", 5),
        ("https://example.com/guide", 9), ("https://example.com/auto", 9), ("https://example.com/bare", 9),
        ("https://en.wikipedia.org/wiki/Rust_(programming_language)", 10),
        ("../assets/flow.png", 11),
        ("https://example.com/reference", 15),
        ("https://example.com/html", 16), ("https://example.com/docs", 16),
    ]
    where = {u.url: u.where for u in reversed(extract_links(entry))}  # the first use of each URL
    assert where["https://example.com/docs"] == "front matter `links.docs`"
    assert where["https://example.com/pricing"] == "front matter `pricing[0].source`"
    assert [u.is_internal for u in extract_links(entry) if u.url == "../assets/flow.png"] == [True]


def test_body_links_edge_cases() -> None:
    assert body_links("(see https://example.com/a).") == ["https://example.com/a"]
    assert body_links("[x](https://example.com/a_(b)) y") == ["https://example.com/a_(b)"]
    assert body_links("[x](#faq) and [y](mailto:a@example.com)") == ["#faq", "mailto:a@example.com"]
    assert body_links("``code with https://example.com/x``") == []


def test_page_reading_and_markers() -> None:
    page = read_page(b"<html><head><title>Docs</title><script>var x='<p>'</script></head>"
                     b"<body><h2 id='install'>Install</h2><a name=legacy></a><p>Text &amp; more</p></body></html>",
                     "text/html; charset=utf-8", False)
    assert page.title == "Docs" and {"install", "legacy"} <= page.ids and page.text == "Install Text & more"
    assert MARKERS.skip_fragment("L10-L20") and MARKERS.skip_fragment("/settings") and not MARKERS.skip_fragment("x")
    assert MARKERS.fragment_found("install", "github.com", {"user-content-install"})
    assert not MARKERS.fragment_found("install", "example.com", {"user-content-install"})
    long_article = read_page(("<title>Handling errors</title><p>" + "A page not found error is a 404. " * 100
                              + "</p>").encode(), "text/html", False)
    assert MARKERS.soft_404(long_article) is None  # an article about 404 pages is not one


def test_a_body_without_any_link_literal_gives_its_front_matter_links_only() -> None:
    """The whole body is tested once for what a link needs; a body that passes is read line by line as before."""
    plain = ENTRY.split("## Use cases\n")[0] + "## Use cases\nNo link here: just [brackets] and (parentheses).\n"
    entry = read_entry(plain.encode(), "widgets", "tools/widgets.md", ("tool",))
    assert [u.url for u in extract_links(entry)] == [
        "https://example.com/docs", "https://example.org/widgets", "https://example.com/pricing"]
    linked = plain.replace("(parentheses).", "(parentheses) and\n[a link](../b.md) on the next line.")
    entry = read_entry(linked.encode(), "widgets", "tools/widgets.md", ("tool",))
    assert [(u.url, u.line) for u in extract_links(entry)][-1] == ("../b.md", 10)
