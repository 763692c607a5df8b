"""The crawler process: walks a live directory site with Scrapy and writes what it reads as JSON lines.

Run by `SiteSource` as `python -m auditor.sources.site_crawl --job JOB.json`, one process per audit (Twisted's
reactor cannot be restarted inside a process). JOB.json holds the profile (as `site_profile.SiteProfile.as_dict`),
the Scrapy settings and the path of the items file. Every line of that file is one JSON object:

    {"type": "page", "url", "final_url", "status", "role", "referer", "depth", "content_type", "redirects": [...]}
    {"type": "entry", "url", "final_url", "referer", "fields": {...}, "body": [...], "related": {...},
     "headings": [...], "links": [...], "problems": [...]}
    {"type": "error", "url", "role", "referer", "reason", "status", "detail"}
    {"type": "skipped", "url", "role", "referer", "reason"}      # robots.txt, depth limit
    {"type": "finished", "reason", "stats": {...}}

The frontier is whatever the settings say (`SCHEDULER`, `DUPEFILTER_CLASS`). A job with `shared` makes the process
one worker of a crawl shared over Redis (auditor/sources/site_shared.py): scrapy-redis's frontier, the items to the
store instead of the file. The spider never keeps state a second worker would need.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from auditor.sources.site_page import is_same_site, read_entry_page, select

HTML_TYPES = ("text/html", "application/xhtml+xml")


def scrapy_settings(profile: dict[str, Any], items_path: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Scrapy settings of one crawl: the profile's limits and politeness, then its `scrapy_settings`, then
    `extra` (what the caller insists on, e.g. a shared frontier)."""
    limits, crawl = profile["limits"], profile["crawl"]
    throttle = crawl.get("autothrottle") or {}
    settings: dict[str, Any] = {
        "BOT_NAME": "auditor",
        "USER_AGENT": crawl.get("user_agent"),
        "ROBOTSTXT_OBEY": bool(crawl.get("obey_robots", True)),
        "CONCURRENT_REQUESTS": int(crawl.get("concurrency", 16)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(crawl.get("concurrency_per_domain", 4)),
        "DOWNLOAD_DELAY": float(crawl.get("download_delay", 0.0)),
        "AUTOTHROTTLE_ENABLED": bool(throttle.get("enabled", True)),
        "AUTOTHROTTLE_START_DELAY": float(throttle.get("start_delay", 1.0)),
        "AUTOTHROTTLE_MAX_DELAY": float(throttle.get("max_delay", 30.0)),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(throttle.get("target_concurrency", 2.0)),
        "DEPTH_LIMIT": int(limits["depth"]),
        "CLOSESPIDER_PAGECOUNT": int(limits["pages"]),
        "CLOSESPIDER_TIMEOUT": float(limits["seconds"]),
        "DOWNLOAD_TIMEOUT": float(limits["timeout"]),
        "DOWNLOAD_MAXSIZE": int(limits["max_page_kb"]) * 1024,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_TIMES": int(limits["retries"]),
        "REDIRECT_MAX_TIMES": 10,
        "CONCURRENT_ITEMS": 16,  # Scrapy's 100 buys nothing with one synchronous pipeline, and costs CPU per page
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Twisted's own reactor, not Scrapy's asyncio default: under asyncio, Scrapy 2.19's downloader starts a
        # slot's queued requests as tasks before any of them counts as transferring, so a site got up to
        # CONCURRENT_REQUESTS at once whatever CONCURRENT_REQUESTS_PER_DOMAIN said (9 at once against 2, measured
        # at the server). With Twisted's reactor each download starts, and counts, at once.
        "TWISTED_REACTOR": None,
        "REMOTE_CONTROL_ENABLED": False,  # needs asyncio; nothing here uses it
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {"auditor.sources.site_crawl.JsonLinesWriter": 100},
        "AUDITOR_ITEMS_PATH": items_path,
    }
    settings.update(profile.get("scrapy_settings") or {})
    settings.update(extra or {})
    return settings


class JsonLinesWriter:
    """Writes every item as one JSON line, flushed at once, so the parent can count progress while it waits."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.file: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesWriter:
        return cls(crawler.settings.get("AUDITOR_ITEMS_PATH"))

    def open_spider(self, spider: Any = None) -> None:
        self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def close_spider(self, spider: Any = None) -> None:
        if self.file:
            self.file.close()

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.file.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        self.file.flush()
        return item


def _failure_reason(failure: Any) -> tuple[str, int | None, str]:
    """(reason code, HTTP status, detail) of a failed request."""
    if failure.check(HttpError):
        response = failure.value.response
        status = response.status
        reason = "not-found" if status in (404, 410) else "server-error" if status >= 500 else "http-error"
        return reason, status, f"HTTP {status}"
    if failure.check(IgnoreRequest):
        text = str(failure.value)
        if "robots.txt" in text:
            return "robots", None, "forbidden by robots.txt"
        if "offsite" in text.lower():
            return "offsite-redirect", None, text
        return "ignored", None, text
    name = type(failure.value).__name__
    if "Timeout" in name or "TimedOut" in name:
        return "timeout", None, name
    if "DNS" in name:
        return "dns", None, name
    if "Refused" in name or "Connect" in name:
        return "refused", None, name
    return "error", None, f"{name}: {failure.value}"


class ProfileSpider(scrapy.Spider):
    """Walks a site as its profile says: listing pages and their pagination, entry pages, and the internal
    links entry pages make (to learn their status). A site that needs code subclasses this in `spiders/`."""

    name = "auditor-site"

    def __init__(self, profile: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.start_urls = list(profile["start_urls"])
        self.allowed_domains = list(profile["allowed_domains"])
        pattern = profile.get("entry_url_pattern")
        self.entry_pattern = re.compile(pattern) if pattern else None
        self.depth_limit = int(profile["limits"]["depth"])
        self.finish_reason = ""
        self.late_items: list[dict[str, Any]] = []  # noticed outside a callback; written when the crawl ends
        self.shared = False  # a worker of a crawl shared over Redis (see auditor/sources/site_shared.py)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProfileSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.shared = bool(crawler.settings.getdict("AUDITOR_SHARED"))
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._scheduled, signal=signals.request_scheduled)
        return spider

    def _scheduled(self, request: scrapy.Request, spider: Any = None) -> None:
        """A redirect off the site is dropped by Scrapy's offsite filter without an errback: record it here."""
        chain = request.meta.get("redirect_urls")
        if chain and not request.meta.get("allow_offsite") and not is_same_site(request.url, self.allowed_domains):
            meta = request.meta
            self.late_items.append(self.error(meta.get("asked_url", chain[0]), meta.get("role", "link"),
                                              meta.get("referer"), "offsite-redirect", None,
                                              f"redirected off the site to {request.url}"))

    def _closed(self, spider: Any, reason: str) -> None:
        self.finish_reason = reason

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield self.request(url, "start", None)

    def request(self, url: str, role: str, referer: str | None, depth: int = 0) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_page, errback=self.failed,
                              meta={"role": role, "referer": referer, "asked_url": url},
                              # Each worker of a shared crawl starts it; the shared filter lets one fetch.
                              dont_filter=role == "start" and not self.shared)

    # -- callbacks --------------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        role, referer, asked = meta.get("role", "link"), meta.get("referer"), meta.get("asked_url", response.url)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        redirects = list(meta.get("redirect_urls") or [])
        yield {"type": "page", "url": asked, "final_url": response.url, "status": response.status, "role": role,
               "referer": referer, "depth": meta.get("depth", 0), "content_type": content_type,
               "redirects": redirects}
        if not is_same_site(response.url, self.allowed_domains):
            yield self.error(asked, role, referer, "offsite-redirect", response.status,
                             f"redirected off the site to {response.url}")
            return
        sniffed = not content_type and b"<html" in response.body[:2048].lower()
        is_html = isinstance(response, TextResponse) and (any(t in content_type for t in HTML_TYPES) or sniffed)
        if not is_html:
            if role != "link":
                yield self.error(asked, role, referer, "not-html", response.status,
                                 f"the page is not HTML ({content_type or 'no Content-Type'})")
            return
        try:
            page = response.selector
        except Exception as exc:  # undecodable bytes, a body lxml cannot parse at all
            yield self.error(asked, role, referer, "unparsable", response.status, f"{type(exc).__name__}: {exc}")
            return
        entry_page = self.is_entry_page(response, role)
        if role == "entry" and not entry_page:  # an entry link that lands on something else (a soft 404, a hub)
            yield self.error(asked, role, referer, "not-an-entry-page", response.status,
                             "an entry link leads to a page that is not an entry page (the profile's `entry_page` "
                             "does not match)")
        if entry_page:
            try:
                item = read_entry_page(self.profile, response.url, page)  # the response's parse, not a second
            except Exception as exc:  # never let one odd page stop the crawl
                yield self.error(asked, role, referer, "unparsable", response.status,
                                 f"{type(exc).__name__}: {exc}")
                return
            yield {"type": "entry", "url": asked, "final_url": response.url, "referer": referer, **item}
            for link in item["links"]:
                yield from self.follow(response, link["url"], "link")
        if role in ("start", "listing") or entry_page:
            for spec in self.profile.get("listing_links") or []:
                for href in self.hrefs(page, spec):
                    yield from self.follow(response, href, "listing")
            for spec in self.profile.get("entry_links") or []:
                for href in self.hrefs(page, spec):
                    yield from self.follow(response, href, "entry")

    def failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        meta = request.meta
        reason, status, detail = _failure_reason(failure)
        asked = meta.get("asked_url", request.url)
        if reason == "robots":
            yield {"type": "skipped", "url": asked, "role": meta.get("role"), "referer": meta.get("referer"),
                   "reason": "robots"}
            return
        yield self.error(asked, meta.get("role", "link"), meta.get("referer"), reason, status, detail)

    # -- helpers ----------------------------------------------------------------------------------------

    def is_entry_page(self, response: Response, role: str) -> bool:
        if self.profile.get("entry_page"):
            return bool(select(response.selector, self.profile["entry_page"]))
        if self.entry_pattern is not None:
            return bool(self.entry_pattern.search(response.url))
        return role == "entry"

    def hrefs(self, page: Any, spec: Any) -> list[str]:
        found = []
        for node in select(page, spec):
            value = node.root if isinstance(node.root, str) else (node.attrib.get("href") or "")
            if value.strip():
                found.append(value.strip())
        return found

    def follow(self, response: Response, href: str, role: str) -> Iterator[Any]:
        url = urldefrag(urljoin(response.url, href))[0]
        if not url.startswith(("http://", "https://")) or not is_same_site(url, self.allowed_domains):
            return
        depth = response.meta.get("depth", 0) + 1
        if self.depth_limit and depth > self.depth_limit:
            yield {"type": "skipped", "url": url, "role": role, "referer": response.url, "reason": "depth"}
            return
        yield self.request(url, role, response.url)

    def error(self, url: str, role: str, referer: str | None, reason: str, status: int | None,
              detail: str) -> dict[str, Any]:
        return {"type": "error", "url": url, "role": role, "referer": referer, "reason": reason, "status": status,
                "detail": detail}


def _spider_class(profile: dict[str, Any]) -> type[ProfileSpider]:
    """The profile's own spider (`spider: file.py:Class`, relative to the profile) or the generic one."""
    spec = profile.get("spider")
    if not spec:
        return ProfileSpider
    file_part, _, class_name = str(spec).partition(":")
    path = Path(file_part)
    if not path.is_absolute():
        path = Path(profile.get("profile_dir") or ".") / path
    module_spec = importlib.util.spec_from_file_location(f"auditor_site_spider_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load the spider module {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    cls = getattr(module, class_name or "Spider")
    if not (isinstance(cls, type) and issubclass(cls, ProfileSpider)):
        raise TypeError(f"{spec}: the spider must subclass auditor.sources.site_crawl.ProfileSpider")
    return cls


def crawl(profile: dict[str, Any], items_path: str | None, extra_settings: dict[str, Any] | None = None,
          shared: dict[str, str] | None = None) -> None:
    """Run one crawl to the end in this process (it can run only once per process). With `shared` (a
    `site_shared.SharedCrawl` as a dict) this process is one worker of a crawl shared over Redis, and its items
    go to the store instead of `items_path`."""
    from scrapy.crawler import CrawlerProcess

    settings = scrapy_settings(profile, items_path or "", extra_settings)
    if shared:
        from auditor.sources import site_shared

        settings.update(site_shared.SharedCrawl(**shared).scrapy_settings())
        site_shared.prepare_worker_process()
    process = CrawlerProcess(settings, install_root_handler=True)
    spider_class = _spider_class(profile)
    crawler = process.create_crawler(spider_class)
    process.crawl(crawler, profile=profile)
    process.start()
    stats = {k: v for k, v in (crawler.stats.get_stats() if crawler.stats else {}).items()
             if isinstance(v, int | float | str)}
    reason = stats.get("finish_reason", "")
    tail = [*getattr(crawler.spider, "late_items", []), {"type": "finished", "reason": reason, "stats": stats}]
    if shared:
        from auditor.sources.site_shared import SharedCrawl, worker_name, write_shared_items
        from auditor.store.db import open_engine

        engine = open_engine(shared["store_url"])
        try:
            write_shared_items(engine, SharedCrawl(**shared), worker_name(), tail)
        finally:
            engine.dispose()
        return
    with open(str(items_path), "a", encoding="utf-8") as handle:
        for item in tail:
            handle.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", required=True, help="JSON file: {profile, items_path, settings, shared}")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    # Scrapy and lxml's import-time objects live as long as the process: keep the collector off them, and run it
    # less often (a crawl makes many short-lived objects and few cycles; it took 4 s of a 10 000-page crawl).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    crawl(job["profile"], job.get("items_path"), job.get("settings"), job.get("shared"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
