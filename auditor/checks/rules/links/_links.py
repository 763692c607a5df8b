"""What the LNK rules share: an entry's links grouped by URL, the run's verdicts, and internal link targets."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from auditor.checks.base import AuditContext, Rule
from auditor.links.content import Markers
from auditor.links.extract import LinkUse, extract_links
from auditor.models import Entry
from auditor.sources.routes import page_files, route_files

if TYPE_CHECKING:  # the link checker (httpx) loads only when links are checked, not for `check --offline`
    from auditor.links.book import Judgement

_HTML_ID = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']|\{#([\w-]+)\}""")


@dataclass
class Used:
    url: str
    uses: list[LinkUse]

    @property
    def line(self) -> int:
        return self.uses[0].line

    def where(self) -> str:
        first = self.uses[0]
        also = sorted({u.line for u in self.uses[1:] if u.line != first.line})
        return first.where + (f" (also line{'s' if len(also) > 1 else ''} {', '.join(map(str, also))})" if also else "")


_last_grouped: tuple[Entry | None, list[Used]] = (None, [])


def grouped(entry: Entry) -> list[Used]:
    """The entry's links, one per distinct URL, each with every place it is used."""
    global _last_grouped
    # Rules run entry by entry, so a one-slot cache lets every LNK rule share one extraction per entry.
    last, cached = _last_grouped
    if last is entry:
        return cached
    found: dict[str, Used] = {}
    for use in extract_links(entry):
        found.setdefault(use.url, Used(use.url, [])).uses.append(use)
    result = list(found.values())
    _last_grouped = (entry, result)
    return result


def evidence(used: Used, judgement: Judgement) -> str:
    result = judgement.result
    text = f"{used.where()}: {used.url}"
    if len(result.chain) > 1:
        text += f"\nchain: {result.chain_text()}"
    elif result.status is not None:
        text += f" (HTTP {result.status})"
    return text


class WebLinkRule(Rule):
    """A rule about web links: `prepare()` has the run's LinkBook check every URL the judged entries use."""

    def dependency(self, ctx: AuditContext) -> str:
        # Without a link book only links inside the directory are judged: from its entries and files alone.
        return "files" if ctx.links is None else ""

    def prepare(self, ctx: AuditContext) -> None:
        if ctx.links is not None:
            ctx.links.ensure(ctx.targets if ctx.targets is not None else ctx.entries)

    def judged(self, entry: Entry, ctx: AuditContext) -> Iterator[tuple[Used, Judgement]]:
        if ctx.links is None:
            return
        for used in grouped(entry):
            if not used.uses[0].is_web or ctx.links.is_site_url(used.url):
                continue
            judgement = ctx.links.lookup(used.url)
            if judgement is not None:
                yield used, judgement


# -- internal links ---------------------------------------------------------------------------------------

def slug(title: str) -> str:
    """A heading's anchor as GitHub and most static site generators make it."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def anchors(entry: Entry) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    for section in entry.sections:
        base = slug(section.title)
        n = counts.get(base, 0)
        counts[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    lines = entry.body_lines
    # An id needs `=` or `{#` on its line: a body with neither is decided by one search of its joined text (every
    # entry's anchors are outlined each run that changed an entry, auditor/checks/cache.py).
    joined = "\n".join(lines)
    if "=" in joined or "{#" in joined:
        for line in lines:
            if "=" in line or "{#" in line:
                for match in _HTML_ID.finditer(line):
                    found.add(match.group(1) or match.group(2))
    return found


@dataclass
class Target:
    ok: bool
    entry: Entry | None = None  # the entry the link lands on (for its anchors)
    fragment: str = ""
    suggestion: str | None = None
    why: str = ""


def site_path(url: str, ctx: AuditContext) -> str | None:
    """The directory path a link to the directory's own site (`link_site_urls`) stands for."""
    for prefix in ctx.config.settings.get("link_site_urls") or []:
        prefix = str(prefix).rstrip("/") + "/"
        if (url.rstrip("/") + "/").startswith(prefix):
            return "/" + url[len(prefix):] if len(url) >= len(prefix) else "/"
    return None


def resolve(entry: Entry, target: str, ctx: AuditContext) -> Target | None:
    """Where an internal link lands, or None when it cannot be judged (no root to look for files in)."""
    path_part, _, fragment = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    if not path_part:
        return Target(True, entry, fragment)
    base_dir = posixpath.dirname(entry.path)
    joined = path_part.lstrip("/") if path_part.startswith("/") else posixpath.join(base_dir, path_part)
    norm = posixpath.normpath(joined) if joined else "."
    if norm == ".." or norm.startswith("../"):
        return Target(False, fragment=fragment, why="it points outside the directory")
    by_path = ctx.by_path
    bare = norm.rstrip("/")
    for candidate in (norm, bare + ".md", bare + "/index.md", bare + "/README.md"):
        if candidate in by_path:
            return Target(True, by_path[candidate], fragment)
    if ctx.root is not None and norm != "." and (ctx.root / norm).exists():
        return Target(True, None, fragment)
    if ctx.root is not None:  # a page the site builds: `docs/foo/index.mdx`, `/foo` from `src/pages/foo.astro`
        routes = ctx.pack.get("routes")
        pages = page_files(norm, routes) + (route_files(path_part, routes) if path_part.startswith("/") else [])
        for candidate in pages:
            if candidate in by_path or (ctx.root / candidate).is_file():
                return Target(True, by_path.get(candidate), fragment)
    stem = posixpath.basename(bare)
    for ext in (".md", ".html", ".htm"):
        stem = stem.removesuffix(ext)
    if stem in ctx.by_id:
        return Target(True, ctx.by_id[stem], fragment)
    if ctx.root is None and not norm.endswith(".md"):
        return None
    match = ctx.closest_id(stem, besides=entry.id) if stem else None
    suggestion = None
    if match:
        suggestion = posixpath.relpath(ctx.by_id[match].path, base_dir or ".")
        if fragment:
            suggestion += "#" + fragment
    return Target(False, fragment=fragment, suggestion=suggestion, why="no entry or file there")


def internal_links(entry: Entry, ctx: AuditContext) -> Iterator[tuple[Used, str]]:
    """(use, target) for every internal link, and for links to the directory's own site as directory paths."""
    for used in grouped(entry):
        first = used.uses[0]
        if first.is_internal:
            yield used, used.url
        elif first.is_web:
            path = site_path(used.url, ctx)
            if path is not None:
                fragment = urlsplit(used.url).fragment
                yield used, path.split("#", 1)[0] + (f"#{fragment}" if fragment else "")


def markers(ctx: AuditContext) -> Markers:
    return Markers.from_pack(ctx.pack.get("links"))
