"""One run's links: which URLs the entries use, what each answered, and what that means for findings.

The LNK rules read a `LinkBook` from `AuditContext.links` (None when links are not checked: `--offline`,
or a caller that did not ask). `ensure(entries)` checks every web URL those entries use, once per run:
fresh results come from the history's TTL cache, the rest from the network. Then

- when a link failed before HTTP (DNS, refused, timeout, TLS) and the network itself does not work (the canary
  in auditor.links.canary failed, or most hosts failed so), the run is marked `network_down`: those links become
  `unverified`, "network unavailable", and open no ticket; links that got an HTTP answer are judged as usual;
- each `broken` result is confirmed or not by the history rule (auditor.links.history);
- confirmed dead pages get an archived copy from the Wayback Machine availability API as the suggestion.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from auditor.links import checker as checker_module
from auditor.links.canary import CanaryAnswer, failed_before_http, host_of_spec, run_probe
from auditor.links.checker import CheckOptions, LinkChecker, network_down
from auditor.links.content import Markers
from auditor.links.extract import extract_links
from auditor.links.history import History, MemoryHistory, Standing, confirmed
from auditor.links.net import AddressPolicy, LazyTLSTransport, Resolver
from auditor.links.results import VERDICTS, LinkResult
from auditor.links.shards import ShardedCheck, shard_count
from auditor.models import Entry

DEFAULT_TTL_HOURS = {"alive": 72, "redirected": 72, "fragment-missing": 24, "blocked": 24, "broken": 0,
                     "unverified": 0}


def clock_for(as_of: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The instant a check happens on the audit's clock: now, on the `--as-of` day (same time of day)."""
    now = now or dt.datetime.now(dt.UTC)
    return now if as_of == now.date() else dt.datetime.combine(as_of, now.timetz())


@dataclass
class Judgement:
    result: LinkResult
    confirmed: bool  # a broken result that counts (see auditor.links.history); True for every other verdict
    failing_since: dt.datetime | None = None
    network_down: bool = False


class LinkBook:
    def __init__(
        self,
        settings: dict[str, Any],
        markers: Markers,
        as_of: dt.date,
        history: History | None = None,
        *,
        resolver: Resolver | None = None,
        address_policy: AddressPolicy | None = None,
        progress: Callable[[str, int | None], Callable[[int], None]] | None = None,
        run_id: int | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.options = CheckOptions.from_settings(settings)
        self.markers = markers
        self.as_of = as_of
        self.history: History = history if history is not None else MemoryHistory()
        self.resolver = resolver
        self.address_policy = address_policy
        self.progress = progress
        self.run_id = run_id
        self.now = now or (lambda: clock_for(as_of))
        self.fail_after = dt.timedelta(hours=float(settings.get("link_fail_after_hours", 24)))
        self.ttl = {**DEFAULT_TTL_HOURS, **(settings.get("link_cache_ttl_hours") or {})}
        self.site_urls = [str(u).rstrip("/") + "/" for u in settings.get("link_site_urls") or []]
        self.wayback_url = str(settings.get("link_wayback_url") or "").rstrip("/")
        self.judged: dict[str, Judgement] = {}
        self.network_down = False
        self.network_reason = ""
        self._canary: CanaryAnswer | None = None
        self.archive_asked: set[str] = set()  # dead pages the archive answered for (with a copy or without)
        self.checker: LinkChecker | None = None
        self.requests = 0
        self.max_open_per_host = 0

    @classmethod
    def from_settings(cls, settings: dict[str, Any], pack: dict[str, Any], as_of: dt.date,
                      history: History | None = None, **kwargs: Any) -> LinkBook:
        return cls(settings, Markers.from_pack(pack.get("links")), as_of, history, **kwargs)

    # -- what the rules call --------------------------------------------------------------------------

    def is_site_url(self, url: str) -> bool:
        return any((url.rstrip("/") + "/").startswith(prefix) for prefix in self.site_urls)

    def ensure(self, entries: Iterable[Entry]) -> None:
        """Check every web URL these entries use that this run has not judged yet."""
        urls = []
        for entry in entries:
            for use in extract_links(entry):
                if use.is_web and not self.is_site_url(use.url) and use.url not in self.judged:
                    urls.append(use.url)
        if urls:
            self.check_urls(list(dict.fromkeys(urls)))

    def lookup(self, url: str) -> Judgement | None:
        return self.judged.get(url)

    # -- the work -------------------------------------------------------------------------------------

    def check_urls(self, urls: list[str]) -> dict[str, Judgement]:
        now = self.now()
        standings = self.history.get_many(urls)
        cached: dict[str, LinkResult] = {}
        to_check: list[str] = []
        for url in urls:
            last = standings[url].last if url in standings else None
            ttl = float(self.ttl.get(last.verdict, 0)) if last is not None else 0.0
            if last is not None and last.checked_at is not None and ttl > 0 \
                    and dt.timedelta(0) <= now - last.checked_at < dt.timedelta(hours=ttl):
                last.from_cache = True
                cached[url] = last
            else:
                to_check.append(url)
        advance = self.progress("checking links", len(urls)) if self.progress else None
        if cached and advance:
            advance(len(cached))
        previous = {url: standings[url].last for url in to_check if url in standings and standings[url].last}
        fresh = self.fetch(to_check, previous, advance) if to_check else {}
        self._judge_network(list(fresh.values()))
        judged: dict[str, Judgement] = {}
        for url, result in [*cached.items(), *fresh.items()]:
            ok, since = confirmed(standings.get(url), result, self.fail_after)
            judged[url] = Judgement(result, ok, since, result.code == "network-down")
        if self.wayback_url and not self.network_down:
            wanted = [j.result for j in judged.values()
                      if j.result.verdict == "broken" and j.confirmed and not j.result.suggestion]
            if wanted:
                suggestions = asyncio.run(self._wayback(wanted))
                for result in wanted:
                    result.suggestion = suggestions.get(result.url)
        self.history.record(list(fresh.values()), self.run_id)
        self.judged.update(judged)
        return judged

    def _judge_network(self, fresh: list[LinkResult]) -> None:
        """When the network is down (the canary failed, or most hosts failed before HTTP), every link that failed
        before HTTP is unverified, "network unavailable", not broken. Answers over HTTP stand: a 404 is a 404."""
        failed = [r for r in fresh if failed_before_http(r)]
        refused = [r for r in fresh if r.code == "private-address"]
        if not failed and not refused:
            return
        # A link to one of the canary's own well-known hosts refused for resolving to a private address is the
        # canary's evidence of a hijacked resolver, whatever its own lookups said (after hundreds of failing
        # lookups they can time out before the answer comes).
        known = {host_of_spec(spec) for spec in self._canary_hosts()}
        hijacked = any(r.hostname in known for r in refused) or self.canary().hijacked
        if not self.network_down:
            ratio = float(self.settings.get("link_network_down_ratio", 0.5))
            canary = self.canary()
            if not canary.up and (failed or hijacked):
                self.network_down, self.network_reason = True, f"canary: {canary.reason}"
            elif failed and network_down(fresh, ratio):
                self.network_down, self.network_reason = True, "most hosts failed before HTTP"
        if not self.network_down:
            return
        if hijacked:  # names resolve to the portal: the guard's refusals are its doing too
            failed += refused
        for result in failed:
            result.verdict, result.code = "unverified", "network-down"
            result.reason = f"network unavailable ({result.reason})"
            result.suggestion = None

    def _canary_hosts(self) -> list[str]:
        configured = self.settings.get("link_canary_hosts") or []
        return [configured] if isinstance(configured, str) else [str(h) for h in configured]

    def canary(self) -> CanaryAnswer:
        """Whether the network itself works (auditor.links.canary): asked once per run, when first needed."""
        if self._canary is None:
            hosts = self._canary_hosts()
            resolver = self.resolver or checker_module.system_resolver
            timeout = min(self.options.timeout, 5.0)
            self._canary = run_probe(hosts, resolver, timeout) if hosts else CanaryAnswer(True)
        return self._canary

    def fetch(self, urls: list[str], previous: dict[str, LinkResult],
              advance: Callable[[int], None] | None) -> dict[str, LinkResult]:
        """Ask the network (the rule-case tests replace this with canned answers); a large run is shared out to
        worker processes host by host (auditor.links.shards)."""
        def make() -> LinkChecker:
            return LinkChecker(self.options, self.markers, resolver=self.resolver, clock=self.now,
                               address_policy=self.address_policy)

        workers = shard_count(self.settings, urls)
        if workers > 1:
            sharded = ShardedCheck(make, workers)
            try:
                return sharded.run(urls, previous, advance)
            finally:
                self.requests += sharded.requests
                self.max_open_per_host = max(self.max_open_per_host, sharded.max_open_per_host)
        checker = make()
        self.checker = checker
        try:
            return checker.check_sync(urls, previous, advance)
        finally:
            self.requests += checker.requests
            self.max_open_per_host = max(self.max_open_per_host, checker.max_open_per_host)

    async def _wayback(self, results: list[LinkResult]) -> dict[str, str | None]:
        """Archived copies from the availability API (`{base}/wayback/available?url=...`), None when there is none.
        When the archive cannot be reached (no DNS, refused, connect timeout), the remaining lookups are skipped:
        without internet access, each of hundreds of dead links would otherwise wait on a failing resolver."""
        found: dict[str, str | None] = {}
        # An archive whose name does not resolve (no DNS, no internet) is known before a client is made: the
        # client would load the CA bundle (20-70 ms of CPU, at the end of the run) as it sets up its first https
        # connection, before that connection looks the name up.
        archive = urlsplit(self.wayback_url)
        try:
            await asyncio.get_running_loop().getaddrinfo(
                archive.hostname, archive.port or (443 if archive.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            return found
        gate = asyncio.Semaphore(4)
        unreachable = False  # the archive could not be reached at all: the other lookups would fare no better
        # The CA bundle is loaded when the archive is first reached over https, not when it cannot be reached.
        transport = LazyTLSTransport(verify=lambda: httpx.create_ssl_context(verify=True, trust_env=False))
        async with httpx.AsyncClient(timeout=httpx.Timeout(self.options.timeout), trust_env=False,
                                     headers={"User-Agent": self.options.user_agent}, transport=transport) as client:
            async def one(result: LinkResult) -> None:
                nonlocal unreachable
                async with gate:
                    if unreachable:
                        return
                    try:
                        api = f"{self.wayback_url}/wayback/available?url={quote(result.url, safe='')}"
                        response = await client.get(api)
                        snapshot = (response.json().get("archived_snapshots") or {}).get("closest") or {}
                    except (httpx.ConnectError, httpx.ConnectTimeout):
                        unreachable, snapshot = True, {}
                    except (httpx.HTTPError, ValueError, AttributeError):
                        snapshot = {}
                    else:
                        self.archive_asked.add(result.url)
                    usable = snapshot.get("available") and str(snapshot.get("status", "200")) == "200"
                    if usable and snapshot.get("url"):
                        found[result.url] = str(snapshot["url"])

            await asyncio.gather(*(one(r) for r in results))
        return found

    # -- reporting ------------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        results = [j.result for j in self.judged.values()]
        by_verdict = Counter(r.verdict for r in results)
        return {
            "urls": len(results),
            "from_cache": sum(1 for r in results if r.from_cache),
            "by_verdict": {v: by_verdict.get(v, 0) for v in VERDICTS},
            "confirmed_broken": sum(1 for j in self.judged.values() if j.result.verdict == "broken" and j.confirmed),
            "network": "unavailable" if self.network_down else "available",
            "requests": self.requests,
        }


class StoredVerdicts(LinkBook):
    """The store's last verdict of each URL, however old, and nothing fetched (`auditor fix`): a URL the store has
    never judged is not judged."""

    def check_urls(self, urls: list[str]) -> dict[str, Judgement]:
        standings = self.history.get_many(urls)
        judged = {url: Judgement(standing.last, True, standing.failing_since)
                  for url, standing in standings.items() if standing.last is not None}
        self.judged.update(judged)
        return judged


def by_host(results: Iterable[LinkResult]) -> dict[str, dict[str, int]]:
    hosts: dict[str, Counter[str]] = {}
    for result in results:
        hosts.setdefault(result.host, Counter())[result.verdict] += 1
    return {host: dict(sorted(counts.items())) for host, counts in sorted(hosts.items())}


__all__ = ["LinkBook", "Judgement", "Standing", "by_host", "clock_for"]
