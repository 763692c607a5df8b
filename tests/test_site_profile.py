"""Site profiles, reading one page, turning crawl items into entries, and the CLI's URL argument: no crawl here."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.sources.site import build_entries, slug_of
from auditor.sources.site_page import read_entry_page
from auditor.sources.site_profile import ProfileError, load_profile, profile_from_dict

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("tool", "mcp", "skill", "news")
PROFILE = {
    "entry_links": ["ul a::attr(href)"],
    "fields": {"title": "h1", "kind": {"css": "article", "attr": "data-kind"}, "summary": "p.summary",
               "updated": "time.updated::attr(datetime)", "tags": {"css": "li.tag", "many": True},
               "links": {"css": "ul.links a", "many": True, "key": {"attr": "data-name"}, "value": {"attr": "href"}},
               "owner": {"xpath": "//dd[@class='owner']/text()"}},
    "body": "div.body",
    "related": {"block": "section.related", "count": "p.count", "items": "li.item", "title": "h3",
                "link": "a::attr(href)", "blurb": "p"},
}
PAGE = """<html><body><article data-kind="Skill"><h1>Incident response</h1><p class=summary>Handles
incidents.</p><time class=updated datetime="2026-10-14">14 Oct</time><dd class=owner>sre-desk</dd>
<ul class=tags><li class=tag>a</li><li class=tag>b</li></ul>
<ul class=links><li><a data-name=docs href="/docs/">Docs</a></li></ul>
<div class=body><h2>Use cases</h2><ul><li>One, see <a href="/skills/x/">x</a></li></ul>
<h2>Frequently Asked Questions</h2><h3>Why?</h3><p>Because.</p><script>ignored()</script></div></article>
<section class=related><h2>Related</h2><h2>Related</h2><p class=count>3 Indexed items</p><ul>
<li class=item><a href="/skills/systematic-debugging/"><h3>Systematic debugging</h3></a><p>Blurb.</p></li>
</ul></section></body></html>"""


def test_a_page_is_read_with_the_profiles_selectors() -> None:
    item = read_entry_page(PROFILE, "http://site.test/skills/incident-response/", PAGE)
    assert item["fields"] == {"title": "Incident response", "kind": "Skill", "summary": "Handles incidents.",
                              "updated": "2026-10-14", "tags": ["a", "b"], "links": {"docs": "http://site.test/docs/"},
                              "owner": "sre-desk"}
    assert item["body"] == ["## Use cases", "", "- One, see [x](http://site.test/skills/x/)", "",
                            "## Frequently Asked Questions", "", "### Why?", "", "Because."]
    assert item["related"]["count"] == 3 and len(item["related"]["items"]) == 1
    assert item["related"]["items"][0] == {"title": "Systematic debugging", "blurb": "Blurb.",
                                           "url": "http://site.test/skills/systematic-debugging/"}
    assert [h["text"] for h in item["headings"]].count("Related") == 2
    assert [link["url"] for link in item["links"]] == ["http://site.test/skills/x/",
                                                      "http://site.test/skills/systematic-debugging/"]


def test_crawl_items_become_folder_shaped_entries() -> None:
    url = "http://site.test/skills/incident-response/"
    item = read_entry_page(PROFILE, url, PAGE)
    items = [
        {"type": "page", "url": url, "final_url": url, "status": 200, "redirects": []},
        {"type": "entry", "url": url, "final_url": url, "referer": None, **item},
        {"type": "error", "url": "http://site.test/skills/x/", "role": "link", "reason": "not-found", "status": 404,
         "detail": "HTTP 404"},
        {"type": "finished", "reason": "finished", "stats": {}},
    ]
    summary: dict = {}
    profile = profile_from_dict(PROFILE, None, "http://site.test/")
    [entry] = build_entries(items, KINDS, profile, summary)
    assert (entry.id, entry.path, entry.kind, entry.title, entry.owner) == (
        "incident-response", url, "skill", "Incident response", "sre-desk")
    assert entry.updated.isoformat() == "2026-10-14" and entry.related == ["systematic-debugging"]
    assert entry.meta["tags"] == ["a", "b"] and entry.links == {"docs": "http://site.test/docs/"}
    assert [s.title for s in entry.sections if s.level == 2] == ["Use cases", "Frequently Asked Questions"]
    statuses = {link["url"]: link["status"] for link in entry.site["internal_links"]}
    assert statuses == {"http://site.test/skills/x/": 404, "http://site.test/skills/systematic-debugging/": None}
    assert summary["complete"] and summary["errors_by_reason"] == {"not-found": 1}


def test_ids_come_from_the_last_path_segment() -> None:
    assert slug_of("https://d.test/skills/incident-response/") == "incident-response"
    assert slug_of("https://d.test/tools/relayhub.html") == "relayhub"
    assert slug_of("https://d.test/a/b/index.html") == "b"


def test_the_example_profile_loads() -> None:
    profile = load_profile(ROOT / "spiders" / "example.yml", "http://127.0.0.1:9999/")
    assert profile.start_urls == ["http://127.0.0.1:9999/"] and profile.allowed_domains == ["127.0.0.1"]
    assert profile.config == ROOT / "examples" / "site" / "auditor.toml"


def test_a_profile_needs_a_way_to_find_entries() -> None:
    with pytest.raises(ProfileError, match="say which pages are entries"):
        profile_from_dict({"fields": {"title": "h1"}}, None, "http://d.test/")
    with pytest.raises(ProfileError, match="no http"):
        profile_from_dict({"fields": {"title": "h1"}, "entry_links": ["a"]}, None, None)


def test_cli_url_needs_a_profile_and_a_folder_refuses_one(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "http://127.0.0.1:1/"])
    assert result.exit_code == 2 and "needs --profile" in result.output
    result = runner.invoke(app, ["audit", str(tmp_path), "--profile", str(ROOT / "spiders" / "example.yml")])
    assert result.exit_code == 2 and "--profile is for auditing a site" in result.output
    result = runner.invoke(app, ["audit", "http://127.0.0.1:1/", "--profile", str(tmp_path / "none.yml")])
    assert result.exit_code == 2 and "cannot read the profile" in result.output
