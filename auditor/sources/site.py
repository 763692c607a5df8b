"""The live-site source: a Scrapy crawl of the directory's website, read into the same entries as the folder.

The crawl runs in a child process (`python -m auditor.sources.site_crawl`), because Twisted's reactor cannot
restart within one process and an audit may run many times in one (the scheduler). The child writes JSON lines
to a file in a temporary folder; this side reads them into entries.

An entry page becomes the entry the content folder would hold: the profile's fields are its front matter, the
page's body (as Markdown) is its body, the Related block's links are its `related` ids. Both go through the
folder source's own reader, so every rule sees the same shapes; line numbers count lines of that text (front
matter first), since a web page has none of its own. The page's URL is the entry's path. What only a page has
(the Related block as shown, its headings, the status of its internal links) is in `entry.site`, for the `SIT`
rules. A page the profile says to read that cannot be read becomes an entry carrying an `unreadable` problem
(STR001), like an unreadable file; the crawl's counts and errors are in `crawl_summary` for the run summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import yaml

from auditor.config import Config
from auditor.models import Entry, LoadProblem
from auditor.sources.base import Progress, no_progress
from auditor.sources.folder import mark_duplicate_ids
from auditor.sources.markdown import read_entry
from auditor.sources.site_profile import KNOWN_FIELDS, SiteProfile

PROBLEM_STATUSES = (404, 410)


class SiteCrawlError(RuntimeError):
    """The crawler process could not start at all (never raised for a page that fails)."""


def slug_of(url: str) -> str:
    """An entry id from its URL: the last path segment, without `.html` or `index.html`."""
    path = urlsplit(url).path
    parts = [p for p in path.split("/") if p and p not in ("index.html", "index.htm")]
    if not parts:
        return urlsplit(url).netloc or url
    last = parts[-1]
    for ext in (".html", ".htm", ".php", ".aspx"):
        last = last.removesuffix(ext)
    return last


def _norm(url: str) -> str:
    return urldefrag(url)[0]


@dataclass
class SiteSource:
    """A live directory site walked with a profile. `location` is the start URL; `root` is None (no files)."""

    profile: SiteProfile
    start_url: str
    settings: dict[str, Any] = field(default_factory=dict)  # Scrapy settings that win over the profile's
    kind: str = "site"
    root: Path | None = None
    crawl_summary: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None  # seconds before the crawler process is stopped (None: the profile's limit + 60)
    redis_url: str | None = None  # share the crawl over Redis (auditor/sources/site_shared.py)
    store_url: str | None = None  # where a shared crawl's workers write what they read (the audit's store)
    crawl_workers: int = 1  # worker processes this audit starts for a shared crawl (more may join)

    @property
    def location(self) -> str:
        return self.start_url

    def load(self, config: Config, progress: Progress = no_progress) -> list[Entry]:
        # Links into the site itself are judged by the SIT rules from the crawl, never fetched again.
        site_urls = list(config.settings.get("link_site_urls") or [])
        for url in self.profile.start_urls:
            base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/"
            if base not in site_urls:
                site_urls.append(base)
        config.settings["link_site_urls"] = site_urls
        with tempfile.TemporaryDirectory(prefix="auditor-crawl-") as folder:
            if self.redis_url:
                items = self._run_shared_crawl(Path(folder), progress)
            else:
                items = self._run_crawler(Path(folder), progress)
        return build_entries(items, config.kinds, self.profile, self.crawl_summary)

    def _run_crawler(self, folder: Path, progress: Progress) -> list[dict[str, Any]]:
        items_path = folder / "items.jsonl"
        items_path.touch()
        job = {"profile": self.profile.as_dict(), "items_path": str(items_path), "settings": self.settings}
        counter, counts = CrawlCounter(progress), ItemsFileCounts(items_path)
        started = time.monotonic()
        failed = _run_children(folder, job, 1, self._limit(), lambda: counter.show(counts()))
        counter.show(counts())
        items = _read_items(items_path) + failed
        self.crawl_summary["seconds"] = round(time.monotonic() - started, 2)
        return items

    def _run_shared_crawl(self, folder: Path, progress: Progress) -> list[dict[str, Any]]:
        """Open a crawl in Redis, run `crawl_workers` workers here, wait for every worker (also those that
        joined from elsewhere) to stop, read the items from the store."""
        from auditor.sources import site_shared
        from auditor.store.crawl_items import forget_other_crawls, read_items
        from auditor.store.db import open_engine

        if not self.store_url:
            raise SiteCrawlError("a crawl shared over Redis needs the store's URL")
        engine = open_engine(self.store_url)  # migrated before any worker writes to it
        job = {"profile": self.profile.as_dict(), "items_path": None, "settings": self.settings}
        limit = self._limit()
        try:
            shared = site_shared.open_crawl(self.redis_url or "", self.profile.name, self.store_url, job, limit,
                                            max(1, self.crawl_workers))
        except site_shared.SharedCrawlError as exc:
            engine.dispose()
            raise SiteCrawlError(str(exc)) from None
        job["shared"] = shared.as_dict()
        counter = CrawlCounter(progress)
        started = time.monotonic()
        client = site_shared.connect(shared.redis_url)
        try:
            failed = _run_children(folder, job, max(1, self.crawl_workers), limit,
                                   lambda: counter.show(site_shared.crawl_state(shared, client)["totals"]))
            # Workers that joined from other machines may still be at it.
            state = site_shared.crawl_state(shared, client)
            while state["live"] and time.monotonic() - started < limit:
                counter.show(state["totals"])
                time.sleep(0.2)
                state = site_shared.crawl_state(shared, client)
            counter.show(state["totals"])
            items = read_items(engine, shared.crawl) + failed
            forget_other_crawls(engine, self.profile.name, shared.crawl)
        finally:
            site_shared.close_crawl(shared)
            engine.dispose()
        self.crawl_summary["seconds"] = round(time.monotonic() - started, 2)
        self.crawl_summary["workers"] = {name: {k: doc.get(k, 0) for k in COUNTED_ITEMS.values()}
                                         for name, doc in state["workers"].items()}
        return items

    def _limit(self) -> float:
        return self.timeout or float(self.profile.limits["seconds"]) + 60


# The crawl items counted while a crawl runs (item type -> count), and how the progress display names each count.
COUNTED_ITEMS = {"page": "pages", "entry": "entries", "error": "errors"}
COUNT_LABELS = {"pages": "crawling pages", "entries": "entry pages", "errors": "crawl errors"}


class CrawlCounter:
    """The live counts of a crawl on the progress display: pages crawled, entry pages read, errors."""

    def __init__(self, progress: Progress) -> None:
        self.advance = {what: progress(label, None) for what, label in COUNT_LABELS.items()}
        self.shown = dict.fromkeys(self.advance, 0)

    def show(self, counts: dict[str, int]) -> None:
        for what, advance in self.advance.items():
            more = int(counts.get(what, 0)) - self.shown[what]
            if more > 0:
                advance(more)
                self.shown[what] += more


def _run_children(folder: Path, job: dict[str, Any], count: int, limit: float,
                  tick: Any) -> list[dict[str, Any]]:
    """Run `count` crawler processes on the job until they end or `limit` seconds pass, calling `tick` while
    waiting. Returns a `crawler-failed` item for each process that failed or was stopped."""
    (folder / "job.json").write_text(json.dumps(job, default=str), encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    started = time.monotonic()
    children: list[tuple[subprocess.Popen[bytes], Path]] = []
    failed: list[dict[str, Any]] = []
    try:
        for number in range(count):
            log_path = folder / f"crawl-{number}.log"
            with open(log_path, "wb") as log:
                try:
                    child = subprocess.Popen([sys.executable, "-m", "auditor.sources.site_crawl", "--job",
                                              str(folder / "job.json")], stdout=log, stderr=subprocess.STDOUT,
                                             env=env)
                except OSError as exc:
                    raise SiteCrawlError(f"cannot start the crawler process: {exc}") from None
            children.append((child, log_path))
        timed_out = False
        while any(child.poll() is None for child, _ in children):
            time.sleep(0.1)
            tick()
            if time.monotonic() - started > limit:
                timed_out = True
                _stop(child for child, _ in children)
        for child, log_path in children:
            if child.returncode != 0 or timed_out:
                tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
                why = (f"stopped after {limit:.0f} seconds" if timed_out
                       else f"the crawler process exited with status {child.returncode}")
                failed.append({"type": "crawler-failed", "detail": why + (": " + " | ".join(tail) if tail else "")})
    except BaseException:  # Ctrl-C or SIGTERM: stop the crawlers with us
        _stop(child for child, _ in children)
        raise
    return failed


def _stop(children: Any) -> None:
    waiting = [child for child in children if child.poll() is None]
    for child in waiting:
        child.terminate()
    for child in waiting:
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


class ItemsFileCounts:
    """Counts of a growing items file, reading only what was added since the last look."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.counts = dict.fromkeys(COUNTED_ITEMS.values(), 0)

    def __call__(self) -> dict[str, int]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return self.counts
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is counted next time
        self.offset += len(complete)
        for kind, what in COUNTED_ITEMS.items():  # every line starts with its type (JsonLinesWriter)
            self.counts[what] += complete.count(b'{"type": "%s"' % kind.encode())
        return self.counts


def _read_items(path: Path) -> list[dict[str, Any]]:
    items = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a killed crawler
            continue
    return items


def _front_matter(fields: dict[str, Any], related: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in KNOWN_FIELDS:
        if key in fields and key != "id":
            value = fields[key]
            meta[key] = value.lower() if key == "kind" and isinstance(value, str) else value
    if related:
        meta["related"] = related
    for key, value in fields.items():
        if key not in meta and key != "id":
            meta[key] = value
    return meta


def build_entries(items: list[dict[str, Any]], kinds: tuple[str, ...], profile: SiteProfile,
                  summary: dict[str, Any] | None = None) -> list[Entry]:
    """Entries from a crawl's items (see auditor/sources/site_crawl.py for their shapes)."""
    summary = summary if summary is not None else {}
    status: dict[str, tuple[int | None, str]] = {}  # asked or final URL -> (HTTP status, error reason)
    final_of: dict[str, str] = {}
    pages = [i for i in items if i.get("type") == "page"]
    for page in pages:
        final_of[_norm(page["url"])] = _norm(page["final_url"])
        for url in (page["url"], page["final_url"], *page.get("redirects", [])):
            status.setdefault(_norm(url), (page["status"], ""))
    errors = [i for i in items if i.get("type") == "error"]
    for error in errors:
        status[_norm(error["url"])] = (error.get("status"), error.get("reason") or "error")
    skipped = [i for i in items if i.get("type") == "skipped"]
    raw_entries = [i for i in items if i.get("type") == "entry"]
    id_of_url: dict[str, str] = {}
    for item in raw_entries:
        entry_id = str(item["fields"].get("id") or slug_of(item["final_url"]))
        for url in (item["url"], item["final_url"]):
            id_of_url.setdefault(_norm(url), entry_id)

    def target_id(url: str) -> str:
        url = _norm(url)
        return id_of_url.get(url) or id_of_url.get(final_of.get(url, "")) or slug_of(url)

    entries: list[Entry] = []
    done: set[str] = set()
    for item in raw_entries:
        final = _norm(item["final_url"])
        if final in done:  # the same page reached under two addresses
            continue
        done.add(final)
        related_block = item.get("related")
        related_items = []
        for shown in (related_block or {}).get("items", []):
            url = shown.get("url")
            code, reason = status.get(_norm(url), (None, "not-crawled")) if url else (None, "no-link")
            related_items.append(shown | {"status": code, "error": reason, "target": target_id(url) if url else None})
        related_ids = [r["target"] for r in related_items if r["target"]]
        meta = _front_matter(item["fields"], related_ids)
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1_000_000) if meta else ""
        text = "---\n" + front + "---\n" + "\n".join(item.get("body") or []) + "\n"
        entry_id = str(item["fields"].get("id") or slug_of(final))
        entry = read_entry(text.encode("utf-8"), entry_id, final, kinds)
        links = []
        for link in item.get("links", []):
            code, reason = status.get(_norm(link["url"]), (None, "not-crawled"))
            links.append(link | {"status": code, "error": reason})
        entry.site = {
            "url": final,
            "asked_url": item["url"],
            "related": ({"found": related_block.get("found", False), "count": related_block.get("count"),
                         "count_text": related_block.get("count_text", ""), "items": related_items}
                        if related_block is not None else None),
            "headings": item.get("headings", []),
            "internal_links": links,
            "problems": item.get("problems", []),
        }
        entries.append(entry)
    # Pages the profile says to read that could not be read: an entry each, like an unreadable file.
    for error in errors:
        if error.get("role") == "link":
            continue
        url = _norm(error["url"])
        if url in done:
            continue
        done.add(url)
        entry_id = slug_of(url) if error.get("role") == "entry" else url[:400]  # ids are kept in 500 characters
        entry = Entry(id=entry_id, path=url)
        what = {"start": "the start page", "listing": "the listing page", "entry": "the entry page"}.get(
            error.get("role"), "the page")
        entry.problems.append(LoadProblem("unreadable", f"{what} could not be read: {error.get('detail')}", 1,
                                          evidence=f"linked from {error.get('referer')}" if error.get("referer")
                                          else ""))
        entry.site = {"url": url, "crawl_error": error}
        entries.append(entry)
    for failed in (i for i in items if i.get("type") == "crawler-failed"):
        start = profile.start_urls[0]
        entry = Entry(id=start[:400], path=start)
        entry.problems.append(LoadProblem("unreadable", f"the crawl did not finish: {failed['detail']}", 1))
        entry.site = {"url": start, "crawl_error": failed}
        entries.append(entry)
    mark_duplicate_ids(entries)
    # A shared crawl has a `finished` item per worker: the crawl finished when every worker did.
    reasons = [str(i.get("reason") or "") for i in items if i.get("type") == "finished"]
    finished = {"reason": next((r for r in reasons if r != "finished"), reasons[-1] if reasons else "")}
    by_reason: dict[str, int] = {}
    for error in errors:
        by_reason[error.get("reason") or "error"] = by_reason.get(error.get("reason") or "error", 0) + 1
    summary.update({
        "start_urls": profile.start_urls,
        "pages": len(pages),
        "entries": len(raw_entries),
        "errors": len(errors),
        "errors_by_reason": by_reason,
        "error_pages": [{"url": e["url"], "role": e.get("role"), "reason": e.get("reason"),
                         "detail": e.get("detail"), "referer": e.get("referer")} for e in errors[:50]],
        "skipped_robots": sum(1 for s in skipped if s.get("reason") == "robots"),
        "skipped_depth": sum(1 for s in skipped if s.get("reason") == "depth"),
        "finish_reason": finished.get("reason") or ("crawler-failed" if any(
            i.get("type") == "crawler-failed" for i in items) else ""),
    })
    summary["complete"] = summary["finish_reason"] == "finished" and not summary["skipped_depth"]
    return entries
