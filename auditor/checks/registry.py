"""What package registries say about a package: its latest release, and whether a version is yanked or deprecated.

One `RegistryClient` serves one run. The CAP rules ask it for every package they will judge in `prepare()`;
it answers from its cache when the answer is younger than the TTL, and otherwise fetches the package's
document once, concurrently with the others (bounded), over httpx with a short timeout.

Every answer has a status:

- `ok`          the registry answered; `latest`, `versions`, `yanked`, `deprecated` are filled in
- `not-found`   the registry answered 404/410: no package of that name
- `unverified`  nothing trustworthy came back: offline, a network error, a timeout, a 5xx, a rate limit or a
                document that is not what a registry sends. Never cached, so the next run asks again.

Answers are cached in the store (`registry_cache`) for `audit`, and only in memory for `check`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

if TYPE_CHECKING:  # httpx loads only when a registry is asked (never under --offline)
    import httpx

REGISTRIES = ("pypi", "npm")
DEFAULT_URLS = {"pypi": "https://pypi.org", "npm": "https://registry.npmjs.org"}
USER_AGENT = "auditor (directory content checks; +https://example.com/auditor)"

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- versions -------------------------------------------------------------------------------------------

_VERSION = re.compile(r"^\s*[v=^~]*\s*(\d+(?:\.\d+)*)(.*)$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Version:
    """A release number good enough for PEP 440 and semver alike: the numeric part, and whether it is a
    pre-release (a1, b2, rc1, .dev0, -beta.1). Post releases and build metadata count as the release."""

    release: tuple[int, ...]
    final: bool  # False for pre-releases, so 2.0.0rc1 < 2.0.0
    text: str = field(compare=False)

    @classmethod
    def parse(cls, value: object) -> Version | None:
        match = _VERSION.match(str(value)) if value is not None else None
        if not match:
            return None
        release = tuple(int(part) for part in match.group(1).split("."))
        rest = match.group(2).strip().lower()
        final = not rest or rest.startswith(("+", ".post", "post", "-post", "_post")) or bool(
            re.fullmatch(r"[.-]?(post|rev|r)\d*", rest))
        return cls(release, final, str(value).strip())

    def padded(self, size: int = 3) -> tuple[int, ...]:
        return self.release + (0,) * max(0, size - len(self.release))

    def lag(self, newer: Version) -> str | None:
        """'major', 'minor' or 'patch' when `newer` is a later release than this one, else None."""
        size = max(3, len(self.release), len(newer.release))
        mine, theirs = self.padded(size), newer.padded(size)
        if (mine, self.final) >= (theirs, newer.final):
            return None
        if theirs[0] > mine[0]:
            return "major"
        if theirs[0] == mine[0] and theirs[1] > mine[1]:
            return "minor"
        return "patch"

    def __str__(self) -> str:
        return self.text


# --- answers and caches --------------------------------------------------------------------------------

@dataclass
class Answer:
    registry: str
    name: str
    status: str  # ok | not-found | unverified
    latest: str | None = None
    versions: list[str] = field(default_factory=list)
    yanked: dict[str, str] = field(default_factory=dict)  # version -> reason ("" when none given)
    deprecated: dict[str, str] = field(default_factory=dict)  # version -> the registry's message
    released: dict[str, str] = field(default_factory=dict)  # version -> ISO date, when the registry says
    detail: str = ""  # why it is unverified
    url: str = ""
    from_cache: bool = False
    fetched_at: dt.datetime | None = None  # when the registry said it

    def document(self) -> dict[str, Any]:
        return {"status": self.status, "latest": self.latest, "versions": self.versions, "yanked": self.yanked,
                "deprecated": self.deprecated, "released": self.released, "url": self.url}

    @classmethod
    def from_document(cls, registry: str, name: str, doc: dict[str, Any]) -> Answer:
        return cls(registry, name, doc.get("status", "ok"), doc.get("latest"), list(doc.get("versions") or []),
                   dict(doc.get("yanked") or {}), dict(doc.get("deprecated") or {}),
                   dict(doc.get("released") or {}), url=doc.get("url", ""), from_cache=True)

    def release_date(self, version: str) -> dt.date | None:
        value = self.released.get(version)
        try:
            return dt.date.fromisoformat(value[:10]) if value else None
        except ValueError:
            return None


CacheKey = tuple[str, str, str]  # (registry, base URL, package name)


class Cache(Protocol):
    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, tuple[dict[str, Any], dt.datetime]]: ...

    def put_many(self, rows: list[tuple[CacheKey, dict[str, Any], dt.datetime]]) -> None: ...


def cache_state(cache: Any) -> str | None:
    """A digest of every answer `cache` holds (which package, when fetched, how it was answered), or None when the
    cache cannot say: what an offline client can answer from it, for the entry cache's key (auditor/checks/cache.py).
    A refetched answer always gets a new `fetched_at`, so an answer's document needs no hashing."""
    state = getattr(cache, "state", None)
    if state is None:
        return None
    try:
        rows = state()
    except Exception:  # noqa: BLE001 - a cache that cannot be read: the CAP rules are run, not reused
        return None
    digest = hashlib.blake2b(digest_size=20)
    for row in sorted(rows):
        digest.update(repr(row).encode())
    return digest.hexdigest()


class MemoryCache:
    """Answers kept for as long as the process lives (`auditor check`, tests)."""

    def __init__(self) -> None:
        self.rows: dict[CacheKey, tuple[dict[str, Any], dt.datetime]] = {}

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, tuple[dict[str, Any], dt.datetime]]:
        return {key: self.rows[key] for key in keys if key in self.rows}

    def put_many(self, rows: list[tuple[CacheKey, dict[str, Any], dt.datetime]]) -> None:
        for key, doc, fetched_at in rows:
            self.rows[key] = (doc, fetched_at)

    def state(self) -> list[tuple[Any, ...]]:
        """(key, status, fetched_at) of every answer kept (see `cache_state`)."""
        return [(*key, str(doc.get("status", "ok")), fetched_at.isoformat()) for key, (doc, fetched_at)
                in self.rows.items()]


# --- parsing the registries' documents -----------------------------------------------------------------

class BadDocument(ValueError):
    """The registry answered 200 with something that is not a package document."""


def _parse_pypi(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("info"), dict):
        raise BadDocument("no `info` object in the PyPI document")
    latest = data["info"].get("version")
    releases = data.get("releases") or {}
    if not isinstance(releases, dict):
        raise BadDocument("`releases` is not an object")
    yanked: dict[str, str] = {}
    released: dict[str, str] = {}
    for version, files in releases.items():
        files = [f for f in files or [] if isinstance(f, dict)]
        if files and all(f.get("yanked") for f in files):
            yanked[version] = next((f.get("yanked_reason") or "" for f in files if f.get("yanked_reason")), "")
        times = sorted(str(f.get("upload_time_iso_8601") or f.get("upload_time") or "") for f in files)
        if times and times[0]:
            released[version] = times[0][:10]
    if latest is None:
        raise BadDocument("no latest version in the PyPI document")
    return {"status": "ok", "latest": str(latest), "versions": sorted(releases), "yanked": yanked,
            "deprecated": {}, "released": released}


def _parse_npm(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("dist-tags"), dict):
        raise BadDocument("no `dist-tags` object in the npm document")
    latest = data["dist-tags"].get("latest")
    versions = data.get("versions") or {}
    if latest is None or not isinstance(versions, dict):
        raise BadDocument("no latest version in the npm document")
    deprecated = {v: str(meta["deprecated"]) for v, meta in versions.items()
                  if isinstance(meta, dict) and meta.get("deprecated")}
    times = data.get("time") if isinstance(data.get("time"), dict) else {}
    released = {v: str(t)[:10] for v, t in times.items() if v in versions and t}
    return {"status": "ok", "latest": str(latest), "versions": sorted(versions), "yanked": {},
            "deprecated": deprecated, "released": released}


PARSERS: dict[str, Callable[[Any], dict[str, Any]]] = {"pypi": _parse_pypi, "npm": _parse_npm}


def package_url(registry: str, base: str, name: str) -> str:
    base = base.rstrip("/")
    if registry == "pypi":
        return f"{base}/pypi/{quote(name, safe='')}/json"
    return f"{base}/{quote(name, safe='@')}"  # a scoped name's slash is encoded: @scope%2Fname


# --- the client ----------------------------------------------------------------------------------------

class RegistryClient:
    """Fetches and caches registry answers for one run. `offline=True` never touches the network."""

    def __init__(
        self,
        urls: dict[str, str] | None = None,
        *,
        timeout: float = 5.0,
        ttl: dt.timedelta = dt.timedelta(hours=24),
        concurrency: int = 8,
        cache: Cache | None = None,
        offline: bool = False,
        clock: Clock = _utcnow,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.urls = {**DEFAULT_URLS, **(urls or {})}
        self.timeout = timeout
        self.ttl = ttl
        self.concurrency = max(1, int(concurrency))
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self.offline = offline
        self.clock = clock
        self._transport = transport
        self._answers: dict[tuple[str, str], Answer] = {}
        self._lock = threading.Lock()
        self.requests = 0  # HTTP requests made by this client, for the curious and the tests

    @classmethod
    def from_settings(cls, settings: dict[str, Any], cache: Cache | None = None) -> RegistryClient:
        return cls(
            dict(settings.get("registry_urls") or {}),
            timeout=float(settings.get("registry_timeout", 5.0)),
            ttl=dt.timedelta(hours=float(settings.get("registry_cache_ttl_hours", 24))),
            concurrency=int(settings.get("registry_concurrency", 8)),
            cache=cache,
            offline=bool(settings.get("offline", False)),
        )

    def _key(self, registry: str, name: str) -> CacheKey:
        return (registry, self.urls[registry].rstrip("/"), name)

    def prefetch(self, packages: Iterable[tuple[str, str]]) -> None:
        """Make sure every (registry, name) has an answer: from this run, the cache, or one request each.

        An answer older than the TTL is refetched; when that fails (or the client is offline) the old answer
        is used rather than none, so a network outage neither hides nor resolves what an earlier run found.
        Only a package never answered before is "unverified"."""
        wanted = sorted({(r, n) for r, n in packages if r in REGISTRIES and n} - set(self._answers))
        if not wanted:
            return
        keys = {pkg: self._key(*pkg) for pkg in wanted}
        now = self.clock()
        try:
            cached = self.cache.get_many(list(keys.values()))
        except Exception:  # noqa: BLE001 - a cache that cannot be read is only slower, never wrong
            cached = {}
        stale: dict[tuple[str, str], Answer] = {}
        missing = []
        for pkg in wanted:
            hit = cached.get(keys[pkg])
            if hit is not None:
                doc, fetched_at = hit
                if fetched_at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
                    fetched_at = fetched_at.replace(tzinfo=dt.UTC)
                answer = Answer.from_document(pkg[0], pkg[1], doc)
                answer.fetched_at = fetched_at
                if now - fetched_at < self.ttl:
                    self._answers[pkg] = answer
                    continue
                stale[pkg] = answer
            if self.offline:
                self._answers[pkg] = stale.get(pkg) or Answer(pkg[0], pkg[1], "unverified", detail="offline")
                continue
            missing.append(pkg)
        if not missing:
            return
        import httpx

        fetched: list[Answer] = []
        with httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True, transport=self._transport,
                          headers={"User-Agent": USER_AGENT}) as http:
            if len(missing) == 1:
                fetched = [self._fetch(http, *missing[0])]
            else:
                with ThreadPoolExecutor(max_workers=min(self.concurrency, len(missing))) as pool:
                    fetched = list(pool.map(lambda pkg: self._fetch(http, *pkg), missing))
        stamp = self.clock()
        rows = []
        for answer in fetched:
            pkg = (answer.registry, answer.name)
            if answer.status == "unverified":
                self._answers[pkg] = stale.get(pkg) or answer
                continue
            answer.fetched_at = stamp
            self._answers[pkg] = answer
            rows.append((self._key(*pkg), answer.document(), stamp))
        if rows:
            try:
                self.cache.put_many(rows)
            except Exception:  # noqa: BLE001 - not caching costs a request next time, nothing more
                pass

    def offline_state(self) -> str | None:
        """For an offline client, a digest of everything its answers can come from (the cache's answers, this
        run's, the registries' addresses); None when it asks the network (its answers are then never reused) or its
        cache cannot say."""
        if not self.offline:
            return None
        cached = cache_state(self.cache)
        if cached is None:
            return None
        given = sorted(self._answers.items(), key=lambda item: item[0])  # answers are dataclasses: shown whole
        return hashlib.blake2b(repr((cached, given, sorted(self.urls.items()))).encode(),
                               digest_size=20).hexdigest()

    def lookup(self, registry: str, name: str) -> Answer:
        if (registry, name) not in self._answers:
            self.prefetch([(registry, name)])
        return self._answers.get((registry, name)) or Answer(registry, name, "unverified",
                                                             detail=f"registry {registry!r} is not supported")

    def _fetch(self, http: httpx.Client, registry: str, name: str) -> Answer:
        import httpx

        url = package_url(registry, self.urls[registry], name)
        headers = {"Accept": "application/json"}
        if registry == "npm":  # the abbreviated document: versions, dist-tags and deprecations, far smaller
            headers["Accept"] = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
        with self._lock:
            self.requests += 1
        try:
            response = http.get(url, headers=headers)
        except httpx.TimeoutException:
            return Answer(registry, name, "unverified", detail=f"timed out after {self.timeout:g} s", url=url)
        except httpx.HTTPError as exc:
            return Answer(registry, name, "unverified", detail=f"{type(exc).__name__}: {exc}"[:200], url=url)
        if response.status_code in (404, 410):
            return Answer(registry, name, "not-found", detail=f"HTTP {response.status_code}", url=url)
        if response.status_code != 200:
            return Answer(registry, name, "unverified", detail=f"HTTP {response.status_code}", url=url)
        try:
            doc = PARSERS[registry](response.json())
        except (ValueError, BadDocument) as exc:
            return Answer(registry, name, "unverified", detail=f"unexpected answer: {exc}"[:200], url=url)
        doc["url"] = url
        answer = Answer.from_document(registry, name, doc)
        answer.from_cache = False
        return answer
