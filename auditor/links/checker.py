"""The link checker: every distinct URL fetched once, politely, and judged like a careful editor would.

- At most `concurrency` requests at once, and `per_host` to any one host. A 429 (or a 503 with Retry-After) pauses
  the whole host for its Retry-After (not only the request that got it), then paces it like a congestion
  controller; once the requests sent after the refused one turn out answered, the 429 was that page's own and
  only the page waits. A host's rate-limit headers keep it within the budget it announces (auditor.links.pace). A
  request that carries on a page already under way (a retry, the GET after a HEAD, a redirect's next hop) gets
  the host's next free turn before new pages (`_Turns`).
- HEAD first. GET when HEAD is refused or answers something a GET might not (any non-2xx), when the page
  is HTML (its content decides soft 404s, parked domains and challenges) or when a `#fragment` needs the
  page's ids. A host whose HEAD is refused, or whose pages turned out to be HTML three times (so a GET
  followed anyway), gets GET straight away for the rest of the run. Bodies are streamed and read only up
  to `max_body` bytes; short answers are drained so their connection is reused.
- Redirects are followed by hand, each hop recorded; loops and chains longer than `max_redirects` are
  broken. Every hop goes through the private-address guard (auditor.links.net).
- Connection errors, timeouts, 5xx and 429 are retried `retries` times with exponential backoff and
  jitter; a Retry-After is honoured up to `retry_after_cap` seconds (beyond it the link is unverified), and
  the refused request goes again when it is over, not a jittered backoff later.
- A page sent with an ETag or Last-Modified is asked for conditionally next time; 304 keeps the old verdict.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import ssl
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
from rapidfuzz import fuzz

from auditor.links.canary import public_host
from auditor.links.content import Markers, Page, is_html, read_page
from auditor.links.landing import deep, home_path, route_fragment, same_page, same_site, shallow
from auditor.links.net import (
    AddressPolicy,
    ConnectTimedOut,
    DNSUnavailable,
    GuardedTransport,
    LinkNetworkError,
    NameNotFound,
    PrivateAddress,
    Resolver,
    system_resolver,
)
from auditor.links.pace import HostPace, rate_budget, retry_after
from auditor.links.results import LinkResult

REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
USER_AGENT = "auditor-linkcheck/0.1 (directory link checks; +https://example.com/auditor)"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CheckOptions:
    concurrency: int = 64
    per_host: int = 4
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0
    retry_after_cap: float = 30.0
    slow_down: float = 0.0  # the least spacing of a host's requests once it has answered 429
    max_redirects: int = 10
    max_body: int = 512 * 1024
    user_agent: str = USER_AGENT
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> extra request headers
    skip: list[str] = field(default_factory=list)  # regular expressions of URLs never checked
    accept_status: set[int] = field(default_factory=set)  # statuses that count as alive
    allow_private: bool = False
    verify_tls: bool = True

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> CheckOptions:
        return cls(
            concurrency=int(settings.get("link_concurrency", 64)),
            per_host=int(settings.get("link_per_host", 4)),
            timeout=float(settings.get("link_timeout", 10.0)),
            retries=int(settings.get("link_retries", 2)),
            backoff=float(settings.get("link_backoff", 1.0)),
            retry_after_cap=float(settings.get("link_retry_after_cap", 30.0)),
            slow_down=float(settings.get("link_slow_down", 0.0)),
            max_redirects=int(settings.get("link_max_redirects", 10)),
            max_body=int(float(settings.get("link_max_body_kb", 512)) * 1024),
            user_agent=str(settings.get("link_user_agent") or USER_AGENT),
            headers={str(h).lower(): {str(k): str(v) for k, v in (values or {}).items()}
                     for h, values in (settings.get("link_headers") or {}).items()},
            skip=[str(p) for p in settings.get("link_skip") or []],
            accept_status={int(s) for s in settings.get("link_accept_status") or []},
            allow_private=bool(settings.get("allow_private_addresses", False)),
        )


@dataclass
class Answer:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    truncated: bool = False
    read: bool = False  # whether the body was read at all
    sent_at: float | None = None  # time.monotonic() when the request had its host's turn

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Trail:
    """A request followed through its redirects."""

    chain: list[dict[str, Any]]
    answer: Answer | None = None
    error: Exception | None = None
    problem: str = ""  # redirect-loop | too-many-redirects | bad-redirect
    fragment: str = ""  # the #fragment of the last redirect's Location (an app's route, as in `/#/docs`)

    @property
    def final(self) -> str:
        return self.chain[-1]["url"] if self.chain else ""


@dataclass
class PageOutcome:
    result: LinkResult
    page: Page | None = None
    not_modified: bool = False


class Timeout(Exception):
    pass


class _SkipHead(Exception):
    """A HEAD not worth sending: the host refuses HEAD, or its pages need a GET anyway."""


class ForeignHost(Exception):  # noqa: N818 - not an error: a request this checker leaves to another
    """A request to a host this checker does not own (`LinkChecker.owned`): a redirect or a soft-404 probe
    leading to a host another worker process checks (auditor.links.shards). The page is left to the parent."""


class _Turns:
    """A host's `per_host` request slots, handed out first to requests that carry on with a page already under way
    (a retry, the GET after a HEAD, a redirect's next hop, the host's probes), then to new pages, each in the
    order asked. A page's answer never waits behind every other page of the host (a slow page's GET queued
    after forty fresh pages and each 429 pause among them), and a refused request goes first when a pause ends."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    async def acquire(self, urgent: bool) -> None:
        if self.free > 0 and not any(self.waiting):
            self.free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[0 if urgent else 1].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed the slot just as it was cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        for queue in self.waiting:
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self.free += 1


class _Host(HostPace):
    def __init__(self, per_host: int) -> None:
        super().__init__()
        self.turns = _Turns(per_host)
        self.open = 0
        self.max_open = 0
        self.head_refused = False
        self.html_after_head = 0
        self.probe: asyncio.Task[tuple[Trail, Page | None]] | None = None
        self.home: asyncio.Task[Trail] | None = None
        self.client: httpx.AsyncClient | None = None

    @property
    def get_first(self) -> bool:
        return self.head_refused or self.html_after_head >= 3


def _expand(headers: dict[str, str]) -> dict[str, str]:
    return {name: os.path.expandvars(value) for name, value in headers.items()}


class LinkChecker:
    """Checks URLs; one instance per run (host state such as a 429 slow-down lasts the run)."""

    def __init__(self, options: CheckOptions | None = None, markers: Markers | None = None,
                 resolver: Resolver | None = None, clock: Callable[[], dt.datetime] = _utcnow,
                 address_policy: AddressPolicy | None = None) -> None:
        self.options = options or CheckOptions()
        self.address_policy = address_policy
        self.markers = markers or Markers()
        self.resolver = resolver or system_resolver
        self.clock = clock
        self.skip = [re.compile(p) for p in self.options.skip]
        self.hosts: dict[str, _Host] = {}
        self.ssl_context: ssl.SSLContext | None = None
        self.headers = {"User-Agent": self.options.user_agent,
                        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                        "Accept-Language": "en"}
        self.requests = 0
        self.max_open_per_host = 0
        self.open_total = 0
        self.max_open_total = 0
        # When set, the only hosts (netlocs) this checker may send requests to: it checks one shard of a run in a
        # worker process, and a page that leads elsewhere is put in `deferred` for the parent to check.
        self.owned: set[str] | None = None
        self.deferred: list[str] = []

    def skipped(self, url: str) -> bool:
        return any(p.search(url) for p in self.skip)

    # -- the run --------------------------------------------------------------------------------------

    def check_sync(self, urls: list[str], previous: dict[str, LinkResult] | None = None,
                   progress: Callable[[int], None] | None = None) -> dict[str, LinkResult]:
        return asyncio.run(self.check(urls, previous, progress))

    async def check(self, urls: list[str], previous: dict[str, LinkResult] | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, LinkResult]:
        """A result for every URL (skipped ones left out), each distinct page fetched once."""
        previous = previous or {}
        pages: dict[str, list[str]] = {}
        results: dict[str, LinkResult] = {}
        for url in dict.fromkeys(urls):
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 - raises on a port that is not a number or out of range
                if parts.scheme.lower() in ("http", "https") and not parts.hostname:
                    raise ValueError("no host name")
            except ValueError as exc:
                results[url] = LinkResult(url, "broken", final_url=url, code="invalid-url",
                                          reason=f"not a valid URL: {exc}", checked_at=self.clock())
                continue
            if parts.scheme.lower() not in ("http", "https") or self.skipped(url):
                continue
            pages.setdefault(urldefrag(url)[0], []).append(url)
        self.global_sem = asyncio.Semaphore(self.options.concurrency)
        try:

            async def one(page_url: str, members: list[str]) -> None:
                for url, result in (await self._check_page_urls(page_url, members, previous)).items():
                    results[url] = result
                if progress:
                    progress(len(members))

            await asyncio.gather(*(one(page, members) for page, members in pages.items()))
            for host in self.hosts.values():
                for task in (host.probe, host.home):
                    if task is not None and not task.done():
                        task.cancel()
        finally:
            for host in self.hosts.values():
                if host.client is not None:
                    await host.client.aclose()
        return results

    def _client(self, host: _Host) -> httpx.AsyncClient:
        """One connection pool per host: its connections never outnumber `per_host`, and httpcore's pool
        bookkeeping (linear in the pool's connections) stays small however many hosts a run has."""
        if host.client is None:
            limits = httpx.Limits(max_connections=self.options.per_host,
                                  max_keepalive_connections=self.options.per_host, keepalive_expiry=5.0)
            transport = GuardedTransport(resolver=self.resolver, allow_private=self.options.allow_private,
                                         limits=limits, dns_timeout=self.options.timeout,
                                         verify=self._tls, policy=self.address_policy)
            host.client = httpx.AsyncClient(transport=transport, headers=self.headers, follow_redirects=False,
                                            timeout=httpx.Timeout(self.options.timeout))
        return host.client

    def _tls(self) -> ssl.SSLContext:
        """The run's TLS context, made when the first https connection opens (auditor.links.net.LazyTLSPool):
        loading the CA bundle takes tens of ms, once per run, not per host, and not at all for http links."""
        if self.ssl_context is None:
            self.ssl_context = httpx.create_ssl_context(verify=self.options.verify_tls)
        return self.ssl_context

    # -- one page and the URLs (fragments) on it ------------------------------------------------------

    async def _check_page_urls(self, page_url: str, members: list[str],
                               previous: dict[str, LinkResult]) -> dict[str, LinkResult]:
        fragments = {url: urldefrag(url)[1] for url in members}
        wanted = {url: frag for url, frag in fragments.items() if not self.markers.skip_fragment(frag)}
        prior = [previous.get(url) for url in members]
        conditional: dict[str, str] = {}
        if all(p is not None and p.verdict in ("alive", "fragment-missing") for p in prior):
            if prior[0].etag:  # type: ignore[union-attr]
                conditional["If-None-Match"] = prior[0].etag  # type: ignore[union-attr]
            if prior[0].last_modified:  # type: ignore[union-attr]
                conditional["If-Modified-Since"] = prior[0].last_modified  # type: ignore[union-attr]
        try:
            outcome = await self._check_page(page_url, need_body=bool(wanted), conditional=conditional)
        except ForeignHost:
            self.deferred.extend(members)
            return {}
        except Exception as exc:  # noqa: BLE001 - one odd page must not stop the run
            outcome = PageOutcome(LinkResult(page_url, "unverified", reason=f"checker error: {type(exc).__name__}: "
                                             f"{exc}"[:300], code="error", final_url=page_url))
        now = self.clock()
        results: dict[str, LinkResult] = {}
        for url in members:
            if outcome.not_modified and previous.get(url) is not None:
                old = previous[url]
                results[url] = LinkResult.from_document(old.document(), now)
                results[url].reason = (old.reason + "; " if old.reason else "") + "unchanged since the last check (304)"
                continue
            base = outcome.result
            result = LinkResult.from_document(base.document() | {"url": url}, now)
            frag = wanted.get(url)
            if frag and result.verdict in ("alive", "redirected") and outcome.page is not None:
                host = urlsplit(result.final_url or url).hostname or ""
                if not self.markers.fragment_found(frag, host, outcome.page.ids):
                    if outcome.page.truncated:
                        result.reason += f"; #{frag} not in the first {self.options.max_body // 1024} KB (not judged)"
                    else:
                        result.verdict, result.code = "fragment-missing", "fragment-missing"
                        result.reason = f"the page has no element with id or name `{frag}`"
            if result.verdict == "redirected" and result.suggestion and urldefrag(url)[1]:
                result.suggestion = f"{result.suggestion}#{urldefrag(url)[1]}"
            results[url] = result
        return results

    async def _check_page(self, url: str, need_body: bool, conditional: dict[str, str]) -> PageOutcome:
        host = self._host(url)
        head_status: int | None = None
        under_way = False  # a HEAD went out: the GET carries on with a page under way (auditor.links.checker._Turns)
        if not need_body and not host.get_first:
            try:
                trail = await self._follow(url, "HEAD", read_body=False, retry_errors=False, extra=conditional)
            except _SkipHead:  # while this page waited its turn, the host turned out to need GET anyway
                trail = Trail([], error=_SkipHead())
            answer = trail.answer
            under_way = bool(trail.chain)
            if isinstance(trail.error, _SkipHead):
                pass
            elif isinstance(trail.error, httpx.InvalidURL | httpx.UnsupportedProtocol | ValueError):
                return self._from_trail(url, trail, None)
            elif trail.error is not None and not isinstance(trail.error, Timeout | LinkNetworkError):
                pass  # a protocol error on HEAD: try GET
            elif isinstance(trail.error, LinkNetworkError) and not trail.error.retry:
                return self._from_trail(url, trail, None)  # DNS, private address, TLS: GET would fare no better
            elif trail.problem:
                return self._from_trail(url, trail, None)
            elif answer is not None:
                if answer.status == 304 and len(trail.chain) == 1:
                    return PageOutcome(LinkResult(url, "alive", 304, url, trail.chain), not_modified=True)
                if 200 <= answer.status < 300 and not is_html(answer.content_type):
                    return self._from_trail(url, trail, None)
                if 200 <= answer.status < 300:
                    host.html_after_head += 1  # an HTML page needs a GET anyway; after 3, GET straight away
                head_status = answer.status
        trail = await self._follow(url, "GET", read_body=True, retry_errors=True, extra=conditional, urgent=under_way)
        answer = trail.answer
        if answer is not None and answer.status == 304 and len(trail.chain) == 1 and conditional:
            return PageOutcome(LinkResult(url, "alive", 304, url, trail.chain), not_modified=True)
        if head_status is not None and not 200 <= head_status < 300 and answer is not None \
                and 200 <= answer.status < 300:
            host.head_refused = True  # HEAD lies or is refused here: GET straight away for this host

        page = None
        if answer is not None and answer.read and is_html(answer.content_type):
            page = read_page(answer.body, answer.content_type, answer.truncated)
        outcome = self._from_trail(url, trail, page)
        result = outcome.result
        soft = None
        if result.verdict in ("alive", "redirected") or result.code == "login":
            soft = await self._landed_on_generic_page(url, trail, login=result.code == "login")
        if not soft and result.verdict in ("alive", "redirected") and page is not None:
            soft = await self._compare_with_random_page(url, trail, page)
        if soft:
            result.verdict, result.code, result.reason, result.suggestion = "broken", "soft-404", soft, None
        return outcome

    # -- classification -------------------------------------------------------------------------------

    def _from_trail(self, url: str, trail: Trail, page: Page | None) -> PageOutcome:
        final = trail.final or url
        result = LinkResult(url, "unverified", final_url=final, chain=trail.chain)
        answer = trail.answer
        if answer is not None:
            result.status = answer.status
            result.etag = answer.headers.get("etag")
            result.last_modified = answer.headers.get("last-modified")
        error = trail.error
        if trail.problem == "redirect-loop":
            result.verdict, result.code = "broken", "redirect-loop"
            result.reason = f"redirect loop back to {final}"
            return PageOutcome(result)
        if trail.problem == "too-many-redirects":
            result.verdict, result.code = "broken", "too-many-redirects"
            result.reason = f"more than {self.options.max_redirects} redirects"
            return PageOutcome(result)
        if trail.problem == "bad-redirect":
            result.verdict, result.code = "unverified", "bad-redirect"
            result.reason = f"redirects to {answer.headers.get('location') if answer else '?'}, which is not a web URL"
            return PageOutcome(result)
        if error is not None:
            result.status = None
            hop = f" (after redirects: {trail_text(trail)})" if len(trail.chain) > 1 else ""
            if isinstance(error, LinkNetworkError):
                result.code, result.reason = error.code, error.message + hop
                result.network_level = error.network_level
                if isinstance(error, NameNotFound) or error.code in ("refused", "tls"):
                    result.verdict = "broken"
                else:
                    result.verdict = "unverified"
                if isinstance(error, DNSUnavailable | ConnectTimedOut):
                    result.network_level = True
                if isinstance(error, PrivateAddress):
                    result.verdict = "unverified"
            elif isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol | ValueError):
                result.verdict, result.code, result.reason = "broken", "invalid-url", f"not a valid URL: {error}"[:300]
            elif isinstance(error, Timeout | httpx.TimeoutException):
                result.code, result.reason = "timeout", f"no complete answer within {self.options.timeout:g} s{hop}"
            else:
                result.code, result.reason = "protocol", f"{type(error).__name__}: {error}"[:300] + hop
            return PageOutcome(result)
        assert answer is not None
        status = answer.status
        redirected = len(trail.chain) > 1
        challenge = self.markers.challenge(answer.headers, page)
        if status in self.markers.challenge_statuses or challenge:
            result.verdict, result.code = "blocked", "challenge"
            result.reason = challenge or f"HTTP {status}: the site refuses robots"
            return PageOutcome(result, page)
        if status in self.options.accept_status or 200 <= status < 300:
            login = self.markers.login_wall(final, redirected, page)
            parked = self.markers.parked(final, page)
            soft = self.markers.soft_404(page) if page is not None else None
            if login:
                result.verdict, result.code, result.reason = "blocked", "login", login
            elif parked:
                result.verdict, result.code, result.reason = "broken", "parked", parked
            elif soft:
                result.verdict, result.code, result.reason = "broken", "soft-404", soft
            else:
                self._alive_or_moved(result, trail)
            return PageOutcome(result, page)
        parked = self.markers.parked(final, page)
        if parked:
            result.verdict, result.code, result.reason = "broken", "parked", parked
        elif status in (401, 407):
            result.verdict, result.code, result.reason = "blocked", "login", f"HTTP {status}: the page wants a login"
        elif status in (403, 451):
            result.verdict, result.code = "blocked", "forbidden"
            result.reason = f"HTTP {status}: the site refuses the checker (not evidence the page is gone)"
        elif status in (404, 410):
            result.verdict, result.code, result.reason = "broken", f"http-{status}", f"HTTP {status}"
        elif status == 429:
            wait = retry_after(answer.headers)
            result.verdict, result.code = "unverified", "rate-limited"
            result.reason = "HTTP 429: rate limited" + (
                f" (Retry-After {wait:g} s is over the {self.options.retry_after_cap:g} s cap)"
                if wait is not None and wait > self.options.retry_after_cap else ", and the limit was never lifted")
        elif 500 <= status < 600:
            result.verdict, result.code = "broken", "http-5xx"
            result.reason = f"HTTP {status} on all {self.options.retries + 1} tries"
        else:
            result.verdict, result.code, result.reason = "broken", f"http-{status}", f"HTTP {status}"
        if redirected and result.reason:
            result.reason += f" (after redirects: {trail_text(trail)})"
        return PageOutcome(result, page)

    def _alive_or_moved(self, result: LinkResult, trail: Trail) -> None:
        permanent = 0
        while permanent < len(trail.chain) - 1 and trail.chain[permanent]["status"] in PERMANENT:
            permanent += 1
        result.verdict, result.code = "alive", "ok"
        result.reason = f"HTTP {result.status}"
        if permanent:
            target = trail.chain[permanent]["url"]
            result.verdict, result.code, result.suggestion = "redirected", "moved", target
            result.reason = f"moved permanently to {target}"
        elif len(trail.chain) > 1:
            result.reason += f" after a temporary redirect to {trail.final}"

    async def _landed_on_generic_page(self, url: str, trail: Trail, login: bool) -> str | None:
        """A soft 404 by redirect: a deep link whose redirects end on its site's home page or root listing (where
        its `/` leads), or where a random path that cannot exist on its host, or on the host it lands on, is sent
        (a login or generic error page). A login page counts only when the site's home page is not behind it too:
        then every page is, and nothing tells a private page from a lost one."""
        if len(trail.chain) < 2 or trail.answer is None or not deep(url) or route_fragment(trail.fragment):
            return None
        final = urlsplit(trail.final)
        if not login and same_site(url, trail.final) and home_path(final):
            return "redirected to the home page"
        for origin in dict.fromkeys((_origin(url), _origin(trail.final))):
            probe, _ = await self._random_page(origin)
            if len(probe.chain) > 1 and probe.answer is not None and same_page(probe.final, trail.final):
                if login and same_page((await self._home_page(_origin(trail.final))).final, trail.final):
                    return None
                where = "the home page" if home_path(urlsplit(probe.final)) else final._replace(query="").geturl()
                return f"redirected to {where}, where {urlsplit(origin).netloc} sends paths that do not exist"
        if not login and same_site(url, trail.final) and shallow(final):
            home = await self._home_page(_origin(trail.final))
            if len(home.chain) > 1 and home.answer is not None and same_page(home.final, trail.final):
                return "redirected to the home page"
        return None

    async def _random_page(self, origin: str) -> tuple[Trail, Page | None]:
        """What the host answers for a path that cannot exist (asked once per host)."""
        host = self._host(origin + "/")
        if host.probe is None:
            host.probe = asyncio.ensure_future(self._probe(f"{origin}/{uuid.uuid4().hex}-auditor-probe"))
        return await asyncio.shield(host.probe)

    async def _home_page(self, origin: str) -> Trail:
        """Where the host's `/` leads (asked once per host, and only when a redirect ends one level deep)."""
        host = self._host(origin + "/")
        if host.home is None:
            host.home = asyncio.ensure_future(self._follow(origin + "/", "GET", read_body=False, retry_errors=False,
                                                           extra={}, urgent=True))
        return await asyncio.shield(host.home)

    async def _compare_with_random_page(self, url: str, trail: Trail, page: Page) -> str | None:
        """A soft 404 the markers missed: the page looks like what the host answers for a path that cannot exist."""
        parts = urlsplit(trail.final or url)
        if parts.path in ("", "/") and not parts.query:
            return None
        probe_trail, probe_page = await self._random_page(f"{parts.scheme}://{parts.netloc}")
        answer = probe_trail.answer
        if answer is None or not 200 <= answer.status < 300:
            return None  # the host answers a missing path honestly
        if probe_page is None or len(probe_page.text) < self.markers.min_text or probe_page.title != page.title:
            return None
        score = fuzz.ratio(page.text[:5000], probe_page.text[:5000])
        if score >= self.markers.similarity:
            return (f"a soft 404 (HTTP 200, but {score:.0f}% like this host's page for a path that cannot exist)")
        return None

    async def _probe(self, url: str) -> tuple[Trail, Page | None]:
        trail = await self._follow(url, "GET", read_body=True, retry_errors=False, extra={}, urgent=True)
        answer = trail.answer
        page = None
        if answer is not None and answer.read and is_html(answer.content_type):
            page = read_page(answer.body, answer.content_type, answer.truncated)
        return trail, page

    # -- requests -------------------------------------------------------------------------------------

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        if key not in self.hosts:
            self.hosts[key] = _Host(self.options.per_host)
        return self.hosts[key]

    def _headers_for(self, url: str) -> dict[str, str]:
        if not self.options.headers:  # the usual case: no URL to take apart for every request
            return {}
        hostname = (urlsplit(url).hostname or "").lower()
        for host, headers in self.options.headers.items():
            if hostname == host or hostname.endswith("." + host):
                return _expand(headers)
        return {}

    async def _follow(self, url: str, method: str, read_body: bool, retry_errors: bool,
                      extra: dict[str, str], urgent: bool = False) -> Trail:
        """`urgent`: the request carries on with a page under way, so it gets its host's next free slot; so does
        every hop after the first."""
        chain: list[dict[str, Any]] = []
        current, seen, fragment = url, {url}, ""
        while True:
            try:
                answer = await self._fetch(method, current, read_body, retry_errors, extra if not chain else {},
                                           urgent or bool(chain))
            except (LinkNetworkError, Timeout, httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                chain.append({"url": current, "status": None})
                return Trail(chain, None, exc)
            chain.append({"url": current, "status": answer.status})
            location = answer.headers.get("location")
            if answer.status not in REDIRECTS or not location:
                return Trail(chain, answer, fragment=fragment)
            target, fragment = urldefrag(urljoin(current, location.strip()))
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                return Trail(chain, answer, problem="bad-redirect")
            if target in seen:
                chain.append({"url": target, "status": None})
                return Trail(chain, answer, problem="redirect-loop")
            if len(chain) > self.options.max_redirects:
                return Trail(chain, answer, problem="too-many-redirects")
            seen.add(target)
            current = target

    async def _fetch(self, method: str, url: str, read_body: bool, retry_errors: bool,
                     extra: dict[str, str], urgent: bool = False) -> Answer:
        attempts = self.options.retries + 1
        if self.owned is not None and urlsplit(url).netloc.lower() not in self.owned:
            raise ForeignHost(url)
        host = self._host(url)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                answer = await self._send(method, url, read_body, extra, host, urgent or attempt > 0)
            except LinkNetworkError as exc:
                if not exc.retry or last or not retry_errors:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            except (Timeout, httpx.TransportError):
                if last or not retry_errors:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            budget = rate_budget(answer.headers)
            if budget is not None:
                host.announced(*budget, in_flight=host.open, longest=self.options.retry_after_cap)
            refused = answer.status == 429 or (answer.status == 503 and "retry-after" in answer.headers)
            if not refused and answer.sent_at is not None:
                host.answered(answer.sent_at)
            if refused:
                wait = retry_after(answer.headers)
                # paused, then paced at a reduced rate that climbs back while the host answers
                host.rate_limited(wait if wait is not None and wait <= self.options.retry_after_cap else None,
                                  self.options.slow_down, answer.sent_at)
                if last or (wait is not None and wait > self.options.retry_after_cap):
                    return answer
                # The host said when to come back: then, not a jittered backoff later (the pause holds the host
                # till then, and the retry goes first when it ends).
                await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
                continue
            if 500 <= answer.status < 600 and retry_errors and not last:
                await asyncio.sleep(self._backoff(attempt))
                continue
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return self.options.backoff * (2 ** attempt) * (0.5 + random.random())  # noqa: S311 - jitter, not crypto

    async def _send(self, method: str, url: str, read_body: bool, extra: dict[str, str], host: _Host,
                    urgent: bool = False) -> Answer:
        await host.turns.acquire(urgent)  # the host's turn first: a busy or paced host must not hold global slots
        try:
            if method == "HEAD" and host.get_first:
                raise _SkipHead
            sent_at = await host.pace()
            try:
                async with self.global_sem:
                    answer = await self._send_now(method, url, read_body, extra, host)
            except BaseException:
                host.lost(sent_at)  # no answer: it tells nothing about a 429 it was on its way with
                raise
            answer.sent_at = sent_at
            return answer
        finally:
            host.turns.release()

    async def _send_now(self, method: str, url: str, read_body: bool, extra: dict[str, str], host: _Host) -> Answer:
        host.open += 1
        self.open_total += 1
        host.max_open = max(host.max_open, host.open)
        self.max_open_total = max(self.max_open_total, self.open_total)
        self.max_open_per_host = max(self.max_open_per_host, host.open)
        self.requests += 1
        try:
            async with asyncio.timeout(self.options.timeout * 2):
                headers = self._headers_for(url) | extra
                async with self._client(host).stream(method, url, headers=headers) as response:
                    answer = Answer(url, response.status_code,
                                    {k.lower(): v for k, v in response.headers.items()})
                    if read_body and method == "GET" and response.status_code not in REDIRECTS \
                            and is_html(answer.content_type):
                        body = bytearray()
                        async for chunk in response.aiter_bytes():
                            body += chunk
                            if len(body) >= self.options.max_body:
                                answer.truncated = True
                                break
                        answer.body, answer.read = bytes(body[: self.options.max_body]), True
                    else:
                        # Drain a short answer (a HEAD's empty body, a redirect's note) so the connection
                        # goes back to the pool; a long one is cut off and its connection closed.
                        drained = 0
                        async for chunk in response.aiter_raw():
                            drained += len(chunk)
                            if drained > 65536:
                                break
                    return answer
        except TimeoutError:
            raise Timeout(f"no complete answer from {url}") from None
        finally:
            host.open -= 1
            self.open_total -= 1


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def trail_text(trail: Trail) -> str:
    return " -> ".join(f"{hop['url']} ({hop['status']})" for hop in trail.chain)



def network_down(results: list[LinkResult], ratio: float = 0.5, min_hosts: int = 3) -> bool:
    """Most hosts failed before HTTP (DNS, unreachable, connect timeouts): the network is down, not the links.
    Only public hosts count: a private or local address says nothing about the network."""
    hosts: dict[str, bool] = {}
    for result in results:
        if result.from_cache or not public_host(urlsplit(result.url).hostname or ""):
            continue
        host = result.host
        hosts[host] = hosts.get(host, True) and result.network_level
    failing = sum(hosts.values())
    return failing >= min_hosts and failing > ratio * len(hosts)
