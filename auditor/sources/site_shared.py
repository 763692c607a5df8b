"""A site crawl shared by many worker processes, on one machine or many (`--redis URL`).

The frontier and the duplicate filter live in Redis through scrapy-redis, so a page is fetched by one worker
only; what the workers read goes to the store's `crawl_items` table (one row per crawl, type and URL). The audit
that opens the crawl starts its own workers (`crawl_workers`), waits until every worker, its own and any joined
with `auditor crawl-worker`, has stopped, then reads the items back into entries as a one-process crawl would.

Redis keys (all under `auditor:`):

    site:<name>:crawl          the id of the site's open crawl (remote workers find it here)
    crawl:<id>:job             the crawl's job: profile, Scrapy settings, store URL
    crawl:<id>:requests        scrapy-redis's request queue;  crawl:<id>:dupefilter  its fingerprints
    crawl:<id>:workers         worker -> {"state": busy|idle|gone, "pages", "entries", "errors"}
    crawl:<id>:alive:<worker>  set every second with a 10-second expiry: a worker that died stops counting
    crawl:<id>:pages           pages received by all the workers (for `limits.pages`)

The site's politeness limits are the crawl's, not each worker's: every worker divides the profile's concurrency
per domain (and per IP) and AutoThrottle's target concurrency by the number of workers, and multiplies the
download delay by it, counting the workers the audit started and every live one that joined since (looked at on
each heartbeat), so ten workers do not send ten times what the profile allows. `limits.pages` is the crawl's
too: every page a worker receives is counted in Redis, and the workers stop when the count reaches it.

A worker stops when it has nothing to do, the shared queue is empty and no other live worker is busy, for
`SETTLE_SECONDS`. A worker that stops early (another picked the last request just then) costs speed, never pages:
the one that still works goes on until it too is idle.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import redis

from auditor.sources.site import COUNTED_ITEMS

ALIVE_SECONDS = 10  # the expiry of a worker's alive key, renewed every HEARTBEAT_SECONDS
HEARTBEAT_SECONDS = 1.0
SETTLE_SECONDS = 1.5  # how long all must look idle before a worker stops
ENGINE_HEARTBEAT_SECONDS = 0.5  # how often an idle worker looks at the shared queue (Scrapy's default: 5 s)


class SharedCrawlError(RuntimeError):
    """Redis cannot be reached, or there is no crawl to join."""


def connect(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SharedCrawlError(f"cannot reach Redis at {url}: {exc}") from None
    return client


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _site_key(site: str) -> str:
    return f"auditor:site:{site}:crawl"


@dataclass(frozen=True)
class SharedCrawl:
    """One shared crawl: where its queue is and where its items go."""

    redis_url: str
    crawl: str
    site: str
    store_url: str
    workers: int = 1  # the workers the audit starts; the politeness limits are shared among at least these

    def key(self, name: str) -> str:
        return f"auditor:crawl:{self.crawl}:{name}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def scrapy_settings(self) -> dict[str, Any]:
        """What makes a worker's crawl the shared one: scrapy-redis's scheduler and duplicate filter on this
        crawl's keys (kept when a worker stops: others still use them), items to the store."""
        return {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_QUEUE_KEY": self.key("requests"),
            "SCHEDULER_DUPEFILTER_KEY": self.key("dupefilter"),
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": self.redis_url,
            "ITEM_PIPELINES": {"auditor.sources.site_shared.StoreWriter": 100},
            "EXTENSIONS": {"auditor.sources.site_shared.SharedCrawlPresence": 100},
            "AUDITOR_SHARED": self.as_dict(),
        }


def open_crawl(redis_url: str, site: str, store_url: str, job: dict[str, Any], seconds: float,
               workers: int = 1) -> SharedCrawl:
    """A new crawl of the site, announced in Redis for workers to join. The announcement expires an hour after
    the crawl's time limit, so an audit that died without closing its crawl sends no worker to it later."""
    client = connect(redis_url)
    shared = SharedCrawl(redis_url, uuid.uuid4().hex[:16], site, store_url, max(1, workers))
    expiry = int(seconds) + 3600
    client.set(shared.key("job"), json.dumps(job | {"shared": shared.as_dict()}, default=str), ex=expiry)
    client.set(_site_key(site), shared.crawl, ex=expiry)
    return shared


def join_crawl(redis_url: str, site: str | None, wait: float = 0.0) -> dict[str, Any]:
    """The job of the site's open crawl (of the only open crawl when no site is named), waiting up to `wait`
    seconds for one to open."""
    client = connect(redis_url)
    deadline = time.monotonic() + wait
    while True:
        if site:
            crawls = [client.get(_site_key(site))]
        else:
            keys = sorted(client.scan_iter("auditor:site:*:crawl"))
            if len(keys) > 1:
                names = ", ".join(k.split(":")[2] for k in keys)
                raise SharedCrawlError(f"several crawls are open ({names}): say which with --site")
            crawls = [client.get(k) for k in keys]
        for crawl in crawls:
            job = client.get(f"auditor:crawl:{crawl}:job") if crawl else None
            if job:
                return json.loads(job)
        if time.monotonic() >= deadline:
            raise SharedCrawlError(f"no crawl {'of ' + site + ' ' if site else ''}is open in Redis at {redis_url}")
        time.sleep(0.5)


def close_crawl(shared: SharedCrawl) -> None:
    """Forget the crawl in Redis (its items stay in the store)."""
    client = connect(shared.redis_url)
    names = [shared.key(n) for n in ("job", "requests", "dupefilter", "workers", "pages")]
    client.delete(*names, *client.scan_iter(shared.key("alive:*")))
    if client.get(_site_key(shared.site)) == shared.crawl:
        client.delete(_site_key(shared.site))


def crawl_state(shared: SharedCrawl, client: redis.Redis | None = None) -> dict[str, Any]:
    """Workers (live ones, and all with their counts), totals and the queue's length, for progress and the end."""
    client = client or connect(shared.redis_url)
    workers = {name: json.loads(doc) for name, doc in client.hgetall(shared.key("workers")).items()}
    live = [name for name, doc in workers.items()
            if doc.get("state") != "gone" and client.exists(shared.key(f"alive:{name}"))]
    totals = {what: sum(int(doc.get(what, 0)) for doc in workers.values()) for what in COUNTED_ITEMS.values()}
    return {"workers": workers, "live": live, "totals": totals, "queued": queue_length(client, shared)}


def queue_length(client: redis.Redis, shared: SharedCrawl) -> int:
    key = shared.key("requests")
    kind = client.type(key)
    return int(client.zcard(key) if kind == "zset" else client.llen(key) if kind == "list" else 0)


class SharedPoliteness:
    """One worker's part of the site's politeness limits: the profile's limits divided by the number of workers.
    Scrapy reads its limits once, so the downloader's slots and AutoThrottle are set here as the count changes."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.per_domain = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.per_ip = settings.getint("CONCURRENT_REQUESTS_PER_IP")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.target = settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY")

    def share(self, workers: int) -> None:
        # Set again on every heartbeat, not only when the count changes: AutoThrottle resets its minimum delay
        # when the spider opens, which may come after this worker's first call.
        engine = getattr(self.crawler, "engine", None)
        if engine is None or getattr(engine, "downloader", None) is None:
            return
        downloader = engine.downloader
        per_domain = max(1, self.per_domain // workers)
        per_ip = max(1, self.per_ip // workers) if self.per_ip else 0
        downloader.domain_concurrency, downloader.ip_concurrency = per_domain, per_ip
        if hasattr(downloader, "_delay"):  # the delay new slots start with (Scrapy 2.13 and later)
            downloader._delay = self.delay * workers  # noqa: SLF001
        for slot in downloader.slots.values():
            slot.concurrency = per_ip or per_domain
            slot.delay = max(slot.delay, self.delay * workers)
        for extension in getattr(self.crawler.extensions, "middlewares", ()):
            if type(extension).__name__ == "AutoThrottle":
                extension.target_concurrency = max(self.target / workers, 0.1)
                extension.mindelay = self.delay * workers


class SharedCrawlPresence:
    """A Scrapy extension in every worker of a shared crawl: says in Redis whether this worker is busy, counts
    what it read, and keeps it running while the shared queue or another worker may still bring work."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.shared = SharedCrawl(**crawler.settings.getdict("AUDITOR_SHARED"))
        self.crawler = crawler
        self.client = connect(self.shared.redis_url)
        self.politeness = SharedPoliteness(crawler)
        self.page_limit = crawler.settings.getint("CLOSESPIDER_PAGECOUNT")
        self.stopping = False
        self.worker = worker_name()
        self.state = "busy"
        self.counts = dict.fromkeys(COUNTED_ITEMS.values(), 0)
        self.idle_since: float | None = None
        self.loop: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.fetching, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        if self.page_limit:
            crawler.signals.connect(self.received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedCrawlPresence:
        return cls(crawler)

    def beat(self) -> None:
        with self.client.pipeline() as pipe:
            pipe.hset(self.shared.key("workers"), self.worker, json.dumps({"state": self.state, **self.counts}))
            pipe.set(self.shared.key(f"alive:{self.worker}"), "1", ex=ALIVE_SECONDS)
            pipe.execute()
        if self.state != "gone":
            live = sum(1 for _ in self.client.scan_iter(self.shared.key("alive:*"), count=100))
            self.politeness.share(max(self.shared.workers, live))

    def opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        self.beat()  # shares the limits before the first request: the audit's workers start at once
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(HEARTBEAT_SECONDS, now=False)

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.state = "gone"
        self.beat()
        self.client.delete(self.shared.key(f"alive:{self.worker}"))

    def fetching(self, request: Any = None, spider: Any = None) -> None:
        if self.state != "busy":
            self.state = "busy"
            self.idle_since = None
            self.beat()

    def received(self, response: Any = None, request: Any = None, spider: Any = None) -> None:
        """One more page for the whole crawl; at the profile's page limit every worker stops, as one would alone."""
        if self.stopping or self.client.incr(self.shared.key("pages")) < self.page_limit:
            return
        self.stopping = True
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy 2.14 and later
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="closespider_pagecount"))
        else:  # pragma: no cover - older Scrapy
            engine.close_spider(spider, "closespider_pagecount")

    def scraped(self, item: Any = None, response: Any = None, spider: Any = None) -> None:
        what = COUNTED_ITEMS.get(item.get("type")) if isinstance(item, dict) else None
        if what:
            self.counts[what] += 1

    def idle(self, spider: Any = None) -> None:
        from scrapy.exceptions import DontCloseSpider

        if self.state != "idle":
            self.state = "idle"
            self.beat()
        state = crawl_state(self.shared, self.client)
        others_busy = any(state["workers"].get(name, {}).get("state") == "busy"
                          for name in state["live"] if name != self.worker)
        if state["queued"] or others_busy:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < SETTLE_SECONDS:
            raise DontCloseSpider


class StoreWriter:
    """The item pipeline of a shared crawl's worker: items to the store's `crawl_items`, in batches."""

    BATCH = 200
    SECONDS = 1.0

    def __init__(self, shared: SharedCrawl) -> None:
        self.shared = shared
        self.worker = worker_name()
        self.buffer: list[dict[str, Any]] = []
        self.flushed_at = time.monotonic()
        self.engine: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreWriter:
        from scrapy import signals

        writer = cls(SharedCrawl(**crawler.settings.getdict("AUDITOR_SHARED")))
        crawler.signals.connect(writer.flush, signal=signals.spider_idle)
        return writer

    def open_spider(self, spider: Any = None) -> None:
        from auditor.store.db import open_engine

        self.engine = open_engine(self.shared.store_url)

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.buffer.append(item)
        if len(self.buffer) >= self.BATCH or time.monotonic() - self.flushed_at >= self.SECONDS:
            self.flush()
        return item

    def flush(self, spider: Any = None) -> None:
        if self.buffer and self.engine is not None:
            write_shared_items(self.engine, self.shared, self.worker, self.buffer)
            self.buffer = []
        self.flushed_at = time.monotonic()

    def close_spider(self, spider: Any = None) -> None:
        self.flush()
        if self.engine is not None:
            self.engine.dispose()


def write_shared_items(engine: Any, shared: SharedCrawl, worker: str, items: list[dict[str, Any]]) -> None:
    from auditor.store.crawl_items import write_items

    write_items(engine, shared.crawl, shared.site, worker, items)


def prepare_worker_process() -> None:
    """Make an idle worker look at the shared queue every half second instead of every five (Scrapy's engine
    heartbeat), so it joins in soon after another worker fills the queue. Only in a worker's own process."""
    from scrapy.core.engine import ExecutionEngine

    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = ENGINE_HEARTBEAT_SECONDS
