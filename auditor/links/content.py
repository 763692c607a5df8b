"""Reading what a page says: its title, visible text and element ids, and the markers in `rules/links.yml`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_DROP = re.compile(r"<(script|style|noscript|template|svg)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_IDS = re.compile(r"""<[a-z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_CHARSET = re.compile(r"charset=([\w.-]+)", re.IGNORECASE)


def _compile(patterns: Any) -> list[re.Pattern[str]]:
    return [re.compile(str(p), re.IGNORECASE) for p in (patterns or [])]


@dataclass
class Markers:
    """The compiled `links` rule pack."""

    soft404_titles: list[re.Pattern[str]] = field(default_factory=list)
    soft404_text: list[re.Pattern[str]] = field(default_factory=list)
    soft404_max_text: int = 1500
    similarity: float = 92.0
    min_text: int = 40
    parked_text: list[re.Pattern[str]] = field(default_factory=list)
    parked_titles: list[re.Pattern[str]] = field(default_factory=list)
    parked_hosts: tuple[str, ...] = ()
    challenge_headers: dict[str, re.Pattern[str]] = field(default_factory=dict)
    challenge_titles: list[re.Pattern[str]] = field(default_factory=list)
    challenge_text: list[re.Pattern[str]] = field(default_factory=list)
    challenge_statuses: frozenset[int] = frozenset({999})
    login_paths: list[re.Pattern[str]] = field(default_factory=list)
    login_titles: list[re.Pattern[str]] = field(default_factory=list)
    skip_fragments: list[re.Pattern[str]] = field(default_factory=list)
    prefixed_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_pack(cls, data: dict[str, Any] | None) -> Markers:
        data = data or {}
        soft, parked = data.get("soft_404") or {}, data.get("parked") or {}
        challenge, login, fragments = data.get("challenge") or {}, data.get("login") or {}, data.get("fragments") or {}
        return cls(
            soft404_titles=_compile(soft.get("titles")), soft404_text=_compile(soft.get("text")),
            soft404_max_text=int(soft.get("max_text", 1500)), similarity=float(soft.get("similarity", 92)),
            min_text=int(soft.get("min_text", 40)),
            parked_text=_compile(parked.get("text")), parked_titles=_compile(parked.get("titles")),
            parked_hosts=tuple(str(h).lower() for h in parked.get("hosts") or []),
            challenge_headers={str(k).lower(): re.compile(str(v), re.IGNORECASE)
                               for k, v in (challenge.get("headers") or {}).items()},
            challenge_titles=_compile(challenge.get("titles")), challenge_text=_compile(challenge.get("text")),
            challenge_statuses=frozenset(int(s) for s in challenge.get("statuses") or [999]),
            login_paths=_compile(login.get("paths")), login_titles=_compile(login.get("titles")),
            skip_fragments=_compile(fragments.get("skip")),
            prefixed_ids={str(k).lower(): str(v) for k, v in (fragments.get("prefixed_ids") or {}).items()},
        )

    # -- judgements ------------------------------------------------------------------------------------

    def challenge(self, headers: dict[str, str], page: Page | None) -> str | None:
        for name, pattern in self.challenge_headers.items():
            value = headers.get(name)
            if value is not None and pattern.search(value):
                return f"bot protection (`{name}: {value}`)"
        if page is not None:
            if any(p.search(page.title) for p in self.challenge_titles):
                return f"bot protection (a challenge page titled {page.title!r})"
            short = len(page.text) < 4000
            if short and any(p.search(page.text) or p.search(page.raw_head) for p in self.challenge_text):
                return "bot protection (a challenge page)"
        return None

    def parked(self, final_url: str, page: Page | None) -> str | None:
        host = (urlsplit(final_url).hostname or "").lower()
        if any(host == h or host.endswith("." + h) for h in self.parked_hosts):
            return f"a parked domain (served by {host})"
        if page is not None:
            if any(p.search(page.title) for p in self.parked_titles):
                return f"a parked domain (page titled {page.title!r})"
            if len(page.text) < 4000 and any(p.search(page.text) for p in self.parked_text):
                return "a parked domain (a 'this domain is for sale' page)"
        return None

    def soft_404(self, page: Page) -> str | None:
        if any(p.search(page.title) for p in self.soft404_titles):
            return f"a soft 404 (HTTP 200 with a page titled {page.title!r})"
        if len(page.text) <= self.soft404_max_text:
            for pattern in self.soft404_text:
                match = pattern.search(page.text)
                if match:
                    return f"a soft 404 (HTTP 200 saying {match.group(0)!r})"
        return None

    def login_wall(self, final_url: str, redirected: bool, page: Page | None) -> str | None:
        path = urlsplit(final_url).path + ("?" + urlsplit(final_url).query if urlsplit(final_url).query else "")
        if redirected and any(p.search(path) for p in self.login_paths):
            return f"a login wall (redirected to {final_url})"
        if redirected and page is not None and any(p.search(page.title) for p in self.login_titles):
            return f"a login wall (redirected to a page titled {page.title!r})"
        return None

    def skip_fragment(self, fragment: str) -> bool:
        return not fragment or any(p.search(fragment) for p in self.skip_fragments)

    def fragment_found(self, fragment: str, host: str, ids: set[str]) -> bool:
        from urllib.parse import unquote

        wanted = {fragment, unquote(fragment)}
        prefix = self.prefixed_ids.get(host.lower().removeprefix("www."))
        if prefix:
            wanted |= {prefix + w for w in list(wanted)}
            wanted |= {w.lower() for w in list(wanted)}
        return bool(wanted & ids)


@dataclass
class Page:
    title: str
    text: str  # visible text, whitespace collapsed
    ids: set[str]
    raw_head: str  # the first few KB of markup, for markers that live in scripts (cf-chl-...)
    truncated: bool


def decode(body: bytes, content_type: str) -> str:
    match = _CHARSET.search(content_type or "")
    encoding = match.group(1) if match else "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def read_page(body: bytes, content_type: str, truncated: bool) -> Page:
    markup = decode(body, content_type)
    title_match = _TITLE.search(markup)
    title = _SPACE.sub(" ", html.unescape(_TAG.sub("", title_match.group(1)))).strip() if title_match else ""
    ids = {html.unescape(next(g for g in m.groups() if g is not None)) for m in _IDS.finditer(markup)}
    stripped = _COMMENT.sub(" ", markup)
    stripped = _DROP.sub(" ", stripped)
    if title_match:
        stripped = _TITLE.sub(" ", stripped)
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", stripped))).strip()
    return Page(title=title, text=text, ids=ids, raw_head=markup[:8192], truncated=truncated)


def is_html(content_type: str) -> bool:
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value in ("", "text/html", "application/xhtml+xml")
