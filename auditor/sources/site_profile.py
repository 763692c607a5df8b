"""Site profiles: how to walk one live directory site and read its entry pages (`spiders/*.yml`).

A profile names the pages to start from, which links lead to listing pages (pagination) and which to entry
pages, and the selectors (CSS, or XPath with an `xpath:` prefix) that map an entry page to the entry's fields,
its body and its Related block. The docs' "Site profiles" page (docs/site-profiles.md) documents every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from auditor import safe_yaml

# Scrapy settings every crawl starts from; the profile's `crawl`, `limits` and `scrapy_settings` change them.
DEFAULT_LIMITS: dict[str, Any] = {
    "depth": 50,  # link hops from a start page (DEPTH_LIMIT); pagination counts one hop per page
    "pages": 20000,  # responses before the crawl stops (CLOSESPIDER_PAGECOUNT)
    "seconds": 3600,  # wall time before the crawl stops (CLOSESPIDER_TIMEOUT)
    "timeout": 30,  # seconds for one response (DOWNLOAD_TIMEOUT)
    "max_page_kb": 5120,  # a bigger response is dropped (DOWNLOAD_MAXSIZE)
    "retries": 2,  # retries of a 5xx, a timeout or a refused connection (RETRY_TIMES)
}
DEFAULT_CRAWL: dict[str, Any] = {
    "obey_robots": True,
    "user_agent": "auditor-site-crawler/0.1 (+directory audit)",
    "concurrency": 16,
    "concurrency_per_domain": 4,
    "download_delay": 0.0,
    "autothrottle": {"enabled": True, "start_delay": 1.0, "max_delay": 30.0, "target_concurrency": 2.0},
}
DEFAULT_HEADINGS = "h1, h2, h3, h4, h5, h6"
# Fields whose values become the entry's front matter as the content folder would have it.
KNOWN_FIELDS = ("id", "kind", "title", "summary", "updated", "reviewed", "published", "owner", "tags", "links")
SPEC_KEYS = {"css", "xpath", "attr", "many", "fields", "key", "value", "pattern", "map", "join", "default"}


class ProfileError(ValueError):
    """A site profile that cannot be used; the message names the file."""


@dataclass
class SiteProfile:
    path: Path | None
    name: str
    start_urls: list[str]
    allowed_domains: list[str]
    listing_links: list[Any]
    entry_links: list[Any]
    entry_page: Any  # a selector that matches only on entry pages (None: pages reached through entry_links)
    entry_url_pattern: str | None
    fields: dict[str, Any]
    body: Any
    body_exclude: list[Any]
    headings: Any
    internal_links: list[Any]
    related: dict[str, Any]
    limits: dict[str, Any]
    crawl: dict[str, Any]
    scrapy_settings: dict[str, Any]
    spider: str | None
    config: Path | None
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """What the crawler process receives (paths as text)."""
        return dict(self.raw) | {
            "name": self.name, "start_urls": self.start_urls, "allowed_domains": self.allowed_domains,
            "limits": self.limits, "crawl": self.crawl,
            "spider": self.spider, "profile_dir": str(self.path.parent) if self.path else "",
        }


def _selectors(value: Any, where: str, source: str) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        _check_spec(item, where, source)
    return items


def _check_spec(spec: Any, where: str, source: str) -> None:
    if isinstance(spec, str):
        if not spec.strip():
            raise ProfileError(f"{source}: `{where}` is an empty selector")
        return
    if isinstance(spec, dict):
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise ProfileError(f"{source}: `{where}` has unknown key(s) {', '.join(sorted(unknown))} "
                               f"(expected {', '.join(sorted(SPEC_KEYS))})")
        if not ({"css", "xpath"} & set(spec)) and "fields" not in spec and "default" not in spec:
            raise ProfileError(f"{source}: `{where}` needs `css` or `xpath`")
        for name, sub in (spec.get("fields") or {}).items():
            _check_spec(sub, f"{where}.fields.{name}", source)
        return
    raise ProfileError(f"{source}: `{where}` must be a selector text or a mapping, not {type(spec).__name__}")


def load_profile(path: Path, start_url: str | None = None) -> SiteProfile:
    """Read and check a profile. `start_url` (from the command line) replaces the profile's site address:
    relative `start_urls` resolve against it, and its host joins `allowed_domains`."""
    source = str(path)
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ProfileError(f"{source}: cannot read the profile: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{source}: the profile is not valid YAML: {exc}") from None
    return profile_from_dict(data, path, start_url)


def profile_from_dict(data: Any, path: Path | None = None, start_url: str | None = None) -> SiteProfile:
    source = str(path) if path else "profile"
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: the profile must be a mapping")
    base = start_url or data.get("site") or ""
    starts = data.get("start_urls") or ["/"] if base else data.get("start_urls") or []
    if isinstance(starts, str):
        starts = [starts]
    start_urls = [urljoin(base, str(url)) if base else str(url) for url in starts]
    if not start_urls or not all(urlsplit(u).scheme in ("http", "https") and urlsplit(u).hostname
                                 for u in start_urls):
        raise ProfileError(f"{source}: no http(s) start URL (give the site's address, or absolute `start_urls`)")
    domains = [str(d) for d in (data.get("allowed_domains") or [])]
    for url in start_urls:
        host = urlsplit(url).hostname or ""
        if host and host not in domains:
            domains.append(host)
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise ProfileError(f"{source}: `fields` must map field names to selectors")
    for name, spec in fields.items():
        _check_spec(spec, f"fields.{name}", source)
    if "title" not in fields:
        raise ProfileError(f"{source}: `fields` needs at least `title`")
    if not data.get("entry_links") and not data.get("entry_page") and not data.get("entry_url_pattern"):
        raise ProfileError(f"{source}: say which pages are entries: `entry_links`, `entry_page` or "
                           "`entry_url_pattern`")
    related = data.get("related") or {}
    if not isinstance(related, dict):
        raise ProfileError(f"{source}: `related` must be a mapping (block, count, items, title, link, blurb)")
    for key in ("block", "count", "items", "title", "link", "blurb"):
        if key in related:
            _check_spec(related[key], f"related.{key}", source)
    limits = DEFAULT_LIMITS | (data.get("limits") or {})
    crawl = dict(DEFAULT_CRAWL) | (data.get("crawl") or {})
    crawl["autothrottle"] = DEFAULT_CRAWL["autothrottle"] | ((data.get("crawl") or {}).get("autothrottle") or {})
    unknown_limits = set(limits) - set(DEFAULT_LIMITS)
    if unknown_limits:
        raise ProfileError(f"{source}: unknown limit(s) {', '.join(sorted(unknown_limits))}")
    config = data.get("config")
    config_path = None
    if config:
        config_path = Path(str(config))
        if path is not None and not config_path.is_absolute():
            config_path = (path.parent / config_path).resolve()
    name = str(data.get("name") or (urlsplit(start_urls[0]).netloc.replace(":", "-")))
    return SiteProfile(
        path=path, name=name, start_urls=start_urls, allowed_domains=domains,
        listing_links=_selectors(data.get("listing_links"), "listing_links", source),
        entry_links=_selectors(data.get("entry_links"), "entry_links", source),
        entry_page=data.get("entry_page"), entry_url_pattern=data.get("entry_url_pattern"),
        fields=fields, body=data.get("body"),
        body_exclude=_selectors(data.get("body_exclude"), "body_exclude", source),
        headings=data.get("headings") or DEFAULT_HEADINGS,
        internal_links=_selectors(data.get("internal_links"), "internal_links", source),
        related=related, limits=limits, crawl=crawl,
        scrapy_settings=dict(data.get("scrapy_settings") or {}),
        spider=data.get("spider"), config=config_path, raw=data,
    )
