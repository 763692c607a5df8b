"""A site crawl shared over Redis: two workers against the local Redis and PostgreSQL crawl a 2,000-page site
completely, each page fetched once and each entry stored once; a worker started with `auditor crawl-worker`
joins an audit's crawl the way one on another machine would."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.sources.site import SiteSource
from auditor.sources.site_profile import profile_from_dict
from auditor.store.db import open_engine
from auditor.store.models import CrawlItem, EntrySnapshot
from tests.site_server import Server

pytestmark = pytest.mark.slow  # crawler processes and a 2,000-page site

PER_LISTING = 40


def profile_for(name: str) -> dict:
    return {
        "name": name,
        "listing_links": ["nav a[rel=next]::attr(href)"],
        "entry_links": ["ul.entries a::attr(href)"],
        "entry_page": "article",
        "fields": {"title": "h1", "kind": {"css": "article", "attr": "data-kind"}, "summary": "p.summary"},
        "body": "div.body",
        "related": {"block": "section.related", "count": "p.count", "items": "li", "title": "h3",
                    "link": "a::attr(href)", "blurb": "p"},
        "limits": {"depth": 0, "retries": 1, "timeout": 10},
        "crawl": {"obey_robots": False, "autothrottle": {"enabled": False}, "concurrency_per_domain": 8},
    }


def generated_site(entries: int) -> type[BaseHTTPRequestHandler]:
    """Listing pages of PER_LISTING entries each, chained by rel=next; entry pages whose Related block links to
    two other entries (so most entry pages are reached twice or more, and must be fetched once)."""
    listings = -(-entries // PER_LISTING)

    def summary(n: int) -> str:
        return f"Tool {n} audits directory number {n}."

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if parts == [""] or parts[0] == "list":
                page = int(parts[1]) if parts[0] == "list" else 1
                first = (page - 1) * PER_LISTING + 1
                links = "".join(f'<li><a href="/e/{n}/">Tool {n}</a></li>'
                                for n in range(first, min(first + PER_LISTING, entries + 1)))
                more = f'<nav><a rel=next href="/list/{page + 1}/">Next</a></nav>' if page < listings else ""
                self.answer(200, f"<html><body><ul class=entries>{links}</ul>{more}</body></html>")
            elif parts[0] == "e" and len(parts) == 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= entries:
                n = int(parts[1])
                others = [(n % entries) + 1, ((n + 6) % entries) + 1]
                related = "".join(f'<li><a href="/e/{m}/"><h3>Tool {m}</h3></a><p>{summary(m)}</p></li>'
                                  for m in others)
                self.answer(200, f"<html><body><article data-kind=tool><h1>Tool {n}</h1><p class=summary>"
                                 f"{summary(n)}</p><div class=body><h2>Use cases</h2><p>Audits things.</p></div>"
                                 f"</article><section class=related><h2>Related</h2><p class=count>2 Indexed items"
                                 f"</p><ul>{related}</ul></section></body></html>")
            else:
                self.answer(404, "<h1>Not found</h1>")

        def answer(self, status: int, html: str) -> None:
            body = html.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def crawl_keys(url: str) -> list[str]:
    return list(redis.Redis.from_url(url, decode_responses=True).scan_iter("auditor:*"))


def test_two_workers_crawl_a_2000_page_site_once(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    name = f"shared-{uuid.uuid4().hex[:8]}"
    with Server(generated_site(2000)) as server:
        source = SiteSource(profile_from_dict(profile_for(name), None, server.url), server.url,
                            redis_url=redis_url, store_url=pg_url, crawl_workers=2)
        config = load_config(tmp_path)
        result = run_audit(tmp_path, config, dt.date(2026, 11, 28), pg_url, source=source)
        hits = dict(server.hits)
    crawl = source.crawl_summary
    # Complete: every listing and entry page, and each fetched by one worker only.
    assert crawl["complete"] and crawl["errors"] == 0
    assert crawl["entries"] == 2000 and crawl["pages"] == 2000 + 50
    assert len(hits) == 2050 and set(hits.values()) == {1}
    # Both workers took part.
    workers = crawl["workers"]
    assert len(workers) == 2
    assert all(counts["pages"] > 0 for counts in workers.values())
    assert sum(counts["pages"] for counts in workers.values()) == 2050
    # Each entry stored once: in the crawl's items and in the run's snapshots.
    engine = open_engine(pg_url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count(), func.count(func.distinct(CrawlItem.url_hash)))
                              .where(CrawlItem.type == "entry")).one()
        snapshots = conn.execute(select(func.count(), func.count(func.distinct(EntrySnapshot.entry_id)))
                                 .where(EntrySnapshot.run_id == result.run_id)).one()
    engine.dispose()
    assert tuple(stored) == (2000, 2000)
    assert tuple(snapshots) == (2000, 2000)
    assert result.summary["entries"] == 2000
    # Related blocks resolved across workers: no related item points at a page nobody fetched.
    assert not [f for f in result.findings if f.code.startswith("SIT")]
    assert not [k for k in crawl_keys(redis_url) if name in k]  # the crawl is forgotten in Redis


def test_the_workers_share_the_profiles_politeness_limits(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    name = f"polite-{uuid.uuid4().hex[:8]}"
    flight = {"now": 0, "most": 0}
    lock = threading.Lock()
    base = generated_site(200)

    class Slow(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:  # noqa: N802
            with lock:
                flight["now"] += 1
                flight["most"] = max(flight["most"], flight["now"])
            try:
                # Slow enough that every worker keeps its share of the limit busy, and that the crawl (about 5 s)
                # outlasts the second worker's start on a loaded machine (at 0.02 s a page, once it did not).
                time.sleep(0.05)
                super().do_GET()
            finally:
                with lock:
                    flight["now"] -= 1

    profile = profile_for(name)
    profile["crawl"]["concurrency_per_domain"] = 4
    with Server(Slow) as server:
        source = SiteSource(profile_from_dict(profile, None, server.url), server.url,
                            redis_url=redis_url, store_url=pg_url, crawl_workers=2)
        entries = source.load(load_config(tmp_path))
    assert len({e.id for e in entries}) == 200
    workers = source.crawl_summary["workers"]
    assert len(workers) == 2 and all(counts["pages"] > 0 for counts in workers.values())
    # Four at once for the site, as the profile says: two per worker, not four each.
    assert 2 <= flight["most"] <= 4


def test_the_page_limit_is_the_crawls_not_each_workers(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    name = f"limited-{uuid.uuid4().hex[:8]}"
    profile = profile_for(name)
    profile["limits"]["pages"] = 100
    with Server(generated_site(400)) as server:
        source = SiteSource(profile_from_dict(profile, None, server.url), server.url,
                            redis_url=redis_url, store_url=pg_url, crawl_workers=2)
        source.load(load_config(tmp_path))
        fetched = sum(server.hits.values())
    crawl = source.crawl_summary
    assert crawl["finish_reason"] == "closespider_pagecount" and not crawl["complete"]
    assert all(counts["pages"] > 0 for counts in crawl["workers"].values())
    # 100 for the crawl, and what each worker already had under way (16 at most, as alone): not 100 per worker
    assert 100 <= fetched <= 100 + 2 * 16
    assert not [k for k in crawl_keys(redis_url) if name in k]


def test_a_crawl_worker_joins_from_elsewhere(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    name = f"joined-{uuid.uuid4().hex[:8]}"
    joiner = subprocess.Popen([sys.executable, "-m", "auditor", "crawl-worker", "--redis", redis_url, "--site", name,
                               "--wait", "60"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with Server(generated_site(400)) as server:
            source = SiteSource(profile_from_dict(profile_for(name), None, server.url), server.url,
                                redis_url=redis_url, store_url=pg_url, crawl_workers=1)
            counted: dict[str, int] = {}

            def progress(name: str, _total: int | None):  # what the terminal shows, live
                counted.setdefault(name, 0)
                return lambda n: counted.__setitem__(name, counted[name] + n)

            entries = source.load(load_config(tmp_path), progress)
            hits = dict(server.hits)
        output, _ = joiner.communicate(timeout=60)
    finally:
        if joiner.poll() is None:
            joiner.kill()
    assert joiner.returncode == 0, output
    assert "joined the crawl of " + name in output
    assert len({e.id for e in entries}) == 400 and set(hits.values()) == {1}
    workers = source.crawl_summary["workers"]
    assert len(workers) == 2 and all(counts["pages"] > 0 for counts in workers.values())
    assert counted == {"crawling pages": 410, "entry pages": 400, "crawl errors": 0}


def test_a_worker_with_no_crawl_to_join_says_so(redis_url: str) -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "auditor", "crawl-worker", "--redis", redis_url, "--site",
                           f"none-{uuid.uuid4().hex[:8]}", "--wait", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no crawl of none-" in done.stderr
    assert time.monotonic() - started >= 1  # it waited as asked


def test_an_unreachable_redis_fails_the_run_with_a_clear_message(tmp_path: Path) -> None:
    site = tmp_path / "profile.yml"
    site.write_text("name: nowhere\nfields: {title: h1}\nentry_links: ['a::attr(href)']\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "auditor", "audit", "http://127.0.0.1:9/", "--profile", str(site),
                           "--redis", "redis://127.0.0.1:1/0", "--db", f"sqlite:///{tmp_path / 's.db'}", "--offline",
                           "--as-of", "2026-11-28"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in done.stderr
