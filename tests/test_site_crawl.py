"""The site crawler against a site that misbehaves: malformed HTML, non-HTML answers, 404s and 500s, a calendar
trap, a redirect off the site, a robots.txt rule. The crawl finishes, records every error, and never crashes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from auditor.config import load_config
from auditor.pipeline import check_entries
from auditor.sources.site import SiteSource
from auditor.sources.site_profile import ProfileError, load_profile, profile_from_dict
from tests.site_server import Server

pytestmark = pytest.mark.slow  # each test runs a crawler process (about a second)

PROFILE = {
    "name": "bad-site",
    "listing_links": ["nav a[rel=next]::attr(href)"],
    "entry_links": ["ul.entries a::attr(href)"],
    "fields": {"title": "h1", "kind": {"css": "article", "attr": "data-kind"}, "summary": "p.summary"},
    "body": "div.body",
    "related": {"block": "section.related", "count": "p.count", "items": "li", "title": "h3",
                "link": "a::attr(href)", "blurb": "p"},
    "limits": {"depth": 4, "retries": 1, "timeout": 5},
    "crawl": {"autothrottle": {"start_delay": 0.0}},
}


def entry_page(title: str, body: str = "<p>Text.</p>", related: str = "") -> bytes:
    return (f"<!doctype html><html><body><article data-kind=tool><h1>{title}</h1><p class=summary>{title} does "
            f"things.</p><div class=body><h2>Use cases</h2>{body}</div></article>"
            f"<section class=related><h2>Related</h2>{related}</section></body></html>").encode()


LISTING = b"""<html><body><ul class=entries>
<li><a href="/e/good/">Good</a><li><a href="/e/malformed/">Malformed</a><li><a href="/e/pdf/">PDF</a>
<li><a href="/e/broken/">Broken</a><li><a href="/e/gone/">Gone</a><li><a href="/e/away/">Away</a>
<li><a href="/private/secret/">Secret</a></ul><nav><a rel=next href="/cal/1/">Next</a></nav></body></html>"""

MALFORMED = (b"<html><body><article data-kind=tool><h1>Malformed <b>page</h1><p class=summary>Still \xff\xfe "
             b"readable<div class=body><h2>Use cases</h2><ul><li>one<li>two</div></span></table>")


class Misbehaving(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        port = self.server.server_address[1]
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path == "/":
            self.send(200, LISTING)
        elif path.startswith("/cal/"):  # a calendar: every month links to the next one, for ever
            month = int(path.strip("/").split("/")[1])
            self.send(200, f'<html><body><h1>Month {month}</h1><nav><a rel=next href="/cal/{month + 1}/">Next'
                           f"</a></nav></body></html>".encode())
        elif path == "/e/good/":
            self.send(200, entry_page("Good", '<p>See <a href="/nowhere/">the guide</a> and '
                                              '<a href="/flaky/">the status</a>.</p>',
                                      '<p class=count>2 Indexed items</p><ul><li><a href="/e/malformed/"><h3>Malformed'
                                      '</h3></a><p>Malformed page does things.</p></li></ul>'))
        elif path == "/e/malformed/":
            self.send(200, MALFORMED)
        elif path == "/e/pdf/":
            self.send(200, b"%PDF-1.4 not a page", "application/pdf")
        elif path in ("/e/broken/", "/flaky/"):
            self.send(500, b"<h1>Internal error</h1>")
        elif path == "/e/away/":
            self.send(302, headers={"Location": f"http://localhost:{port}/elsewhere/"})
        elif path == "/private/secret/":
            self.send(200, entry_page("Secret"))
        else:
            self.send(404, b"<h1>Not found</h1>")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    with Server(Misbehaving) as server:
        profile = profile_from_dict(PROFILE, None, server.url)
        source = SiteSource(profile, server.url)
        config = load_config(tmp_path_factory.mktemp("cfg"))
        counted: dict[str, int] = {}

        def progress(name: str, _total: int | None):  # the live counts a terminal shows
            counted.setdefault(name, 0)
            return lambda n: counted.__setitem__(name, counted[name] + n)

        entries = source.load(config, progress)
        hits = dict(server.hits)
    findings = check_entries(entries, config, dt.date(2026, 11, 28))
    return {"entries": {e.id: e for e in entries}, "summary": source.crawl_summary, "hits": hits,
            "findings": findings, "url": server.url, "counted": counted}


def test_the_terminal_counts_pages_entries_and_errors(crawled: dict) -> None:
    summary = crawled["summary"]
    assert crawled["counted"] == {"crawling pages": summary["pages"], "entry pages": summary["entries"],
                                  "crawl errors": summary["errors"]}
    assert summary["errors"] > 0 and summary["entries"] > 0


def test_good_and_malformed_pages_become_entries(crawled: dict) -> None:
    entries = crawled["entries"]
    good, malformed = entries["good"], entries["malformed"]
    assert good.title == "Good" and good.kind == "tool" and not good.problems
    assert malformed.title == "Malformed page" and malformed.kind == "tool"
    assert malformed.summary.startswith("Still") and malformed.summary.endswith("readable")
    assert [s.title for s in malformed.sections] == ["Use cases"]
    assert good.related == ["malformed"]


def test_pages_that_cannot_be_read_are_unreadable_entries(crawled: dict) -> None:
    url = crawled["url"]
    by_path = {e.path: e for e in crawled["entries"].values()}
    expected = {f"{url}e/pdf/": "not HTML (application/pdf)", f"{url}e/broken/": "HTTP 500",
                f"{url}e/gone/": "HTTP 404", f"{url}e/away/": "off the site"}
    for path, words in expected.items():
        entry = by_path[path]
        assert entry.problems and entry.problems[0].kind == "unreadable", path
        assert words in entry.problems[0].message, entry.problems[0].message
    str001 = {f.path for f in crawled["findings"] if f.code == "STR001"}
    assert str001 == set(expected)


def test_robots_txt_is_obeyed(crawled: dict) -> None:
    assert crawled["hits"].get("/private/secret/") is None
    assert crawled["hits"]["/robots.txt"] == 1
    assert crawled["summary"]["skipped_robots"] == 1
    assert "secret" not in crawled["entries"]


def test_the_calendar_trap_stops_at_the_depth_limit(crawled: dict) -> None:
    months = [path for path in crawled["hits"] if path.startswith("/cal/")]
    assert 1 <= len(months) <= 4  # depth 4 from the start page
    assert crawled["summary"]["skipped_depth"] >= 1
    assert not crawled["summary"]["complete"]


def test_crawl_errors_are_in_the_summary_and_findings(crawled: dict) -> None:
    summary = crawled["summary"]
    assert summary["finish_reason"] == "finished"
    assert summary["errors_by_reason"] == {"not-html": 1, "server-error": 2, "not-found": 2, "offsite-redirect": 1}
    codes = {(f.entry, f.code) for f in crawled["findings"]}
    assert ("good", "SIT005") in codes  # /nowhere/ answers 404
    assert ("good", "SIT006") in codes  # /flaky/ answers 500 after a retry
    assert ("good", "SIT001") in codes  # "2 Indexed items", one shown
    assert crawled["hits"]["/e/broken/"] == 2  # retried once


def test_the_page_limit_stops_the_crawl(tmp_path: Path) -> None:
    with Server(Misbehaving) as server:
        profile = profile_from_dict(PROFILE | {"limits": {"pages": 3, "depth": 0}}, None, server.url)
        source = SiteSource(profile, server.url)
        source.load(load_config(tmp_path))
    assert source.crawl_summary["finish_reason"] == "closespider_pagecount"
    assert not source.crawl_summary["complete"]
    assert source.crawl_summary["pages"] <= 3 + 16  # requests already under way still finish


class SlowSite(BaseHTTPRequestHandler):
    """A listing of 60 entry pages, each answered after 20 ms; counts the requests in progress at once."""

    flight = {"now": 0, "most": 0}
    lock = threading.Lock()

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        with self.lock:
            self.flight["now"] += 1
            self.flight["most"] = max(self.flight["most"], self.flight["now"])
        try:
            time.sleep(0.02)
            links = "".join(f'<li><a href="/e/{n}/">Tool {n}</a></li>' for n in range(60))
            page = (f"<html><body><ul class=entries>{links}</ul></body></html>" if self.path == "/"
                    else entry_page(f"Tool {self.path}").decode())
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with self.lock:
                self.flight["now"] -= 1


def test_the_site_never_gets_more_requests_at_once_than_the_profile_allows(tmp_path: Path) -> None:
    crawl = {"obey_robots": False, "concurrency": 16, "concurrency_per_domain": 2, "autothrottle": {"enabled": False}}
    with Server(SlowSite) as server:
        source = SiteSource(profile_from_dict(PROFILE | {"crawl": crawl}, None, server.url), server.url)
        entries = source.load(load_config(tmp_path))
    assert len(entries) == 60
    assert SlowSite.flight["most"] == 2  # Scrapy's asyncio reactor let 16 through (auditor/sources/site_crawl.py)


def test_an_unreachable_site_is_an_unreadable_entry_not_a_crash(tmp_path: Path) -> None:
    with Server(Misbehaving) as server:
        url = server.url
    profile = profile_from_dict(PROFILE | {"limits": {"retries": 0, "timeout": 2}}, None, url)
    source = SiteSource(profile, url)
    entries = source.load(load_config(tmp_path))
    assert [e.path for e in entries] == [url]
    assert "the start page could not be read" in entries[0].problems[0].message
    assert source.crawl_summary["errors_by_reason"] == {"refused": 1}


def test_bad_profiles_are_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(yaml.safe_dump({"fields": {"summary": "p"}, "entry_links": ["a"]}), encoding="utf-8")
    with pytest.raises(ProfileError, match="p.yml: `fields` needs at least `title`"):
        load_profile(path, "http://127.0.0.1:1/")
    path.write_text("fields: [", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(path, "http://127.0.0.1:1/")
    path.write_text(yaml.safe_dump({"fields": {"title": {"cs": "h1"}}, "entry_links": ["a"]}), encoding="utf-8")
    with pytest.raises(ProfileError, match="unknown key"):
        load_profile(path, "http://127.0.0.1:1/")
