"""Front-matter Markdown pages of other directories: docs-site pages (`lastUpdated`, `relatedArticles`), agent and
instruction files (`name`, `description`). One page is one entry; its id is its path without the suffix.

A page whose front matter names a `kind` the directory knows is read as a content-folder entry, as it is.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from auditor.models import Entry, LoadProblem, Reference
from auditor.sources.formats import FormatContext, Resolver, apply_field_map, excluded, link_refs, split_target
from auditor.sources.markdown import read_entry
from auditor.sources.safe_files import too_large_problem

FORMAT = "docs-pages"
MARKDOWN = (".md", ".mdx", ".markdown")
# Front-matter keys that mark a page of another directory format (not a content-folder entry).
MARKERS = ("description", "name", "lastUpdated", "relatedArticles", "applyTo", "tools", "authors")
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")
RELATED_KEYS = ("relatedArticles", "related_articles", "relatedPages")


def has_front_matter(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"---")


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    """Markdown files that open with front matter (README.md only with front matter; other `exclude` names never)."""
    return list(iter_claim(ctx, files))


def iter_claim(ctx: FormatContext, files: list[str]) -> Iterator[str]:
    """`claim`, one file at a time: detection samples the first few hundred instead of opening every file."""
    patterns = [p for p in ctx.config.settings.get("exclude") or [] if p != "README.md"]
    for rel in files:
        if not rel.endswith(MARKDOWN) or excluded(rel, patterns):
            continue
        try:
            head = ctx.read_bytes(rel, 8)
        except OSError:
            continue
        if has_front_matter(head):
            yield rel


def page_id(rel: str) -> str:
    return re.sub(r"\.(md|mdx|markdown)$", "", rel)


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    resolver = Resolver(ctx)
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    entries = []
    for rel in files:
        entry = read_page(ctx, rel, resolver, mapping, kind, off)
        entries.append(entry)
    return entries


def read_page(ctx: FormatContext, rel: str, resolver: Resolver, mapping: dict[str, str], kind: str | None,
              off: set[str], entry_id: str | None = None, fmt: str = FORMAT) -> Entry:
    kinds = ctx.config.kinds
    try:
        read = ctx.read(rel)
    except OSError as exc:
        entry = Entry(id=entry_id or page_id(rel), path=rel, source_format=fmt)
        entry.problems.append(LoadProblem("unreadable", f"the file cannot be read: {exc}", 1))
        return entry
    entry = read_entry(read.data, entry_id or page_id(rel), rel, kinds)
    if read.truncated:
        entry.problems.insert(0, too_large_problem(read, ctx.max_bytes))
    native = entry.kind is not None or "kind" in entry.meta
    if native:
        return entry  # a content-folder entry living among the pages: every rule applies as usual
    entry.source_format = fmt
    entry.ignore |= off
    if entry.meta:
        apply_field_map(entry, entry.meta, mapping, kind, kinds, dict(entry.field_lines))
    if entry.title is None:
        for text in entry.body_lines[:40]:
            match = _H1.match(text)
            if match:
                entry.title = match.group(1)
                break
    entry.refs.extend(link_refs(resolver, rel, entry.body_lines, entry.body_start))
    entry.refs.extend(related_article_refs(entry, resolver, read.data))
    return entry


def related_article_refs(entry: Entry, resolver: Resolver, raw: bytes) -> list[Reference]:
    refs: list[Reference] = []
    for key in RELATED_KEYS:
        value = entry.meta.get(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        key_line = entry.line_of(key)
        lines = raw.decode("utf-8", "replace").splitlines()
        for item in items:
            target = item.get("link") or item.get("slug") or item.get("href") if isinstance(item, dict) else item
            if not isinstance(target, str) or not target.strip():
                continue
            target = target.strip()
            line = _item_line(lines, key_line, target)
            if target.startswith(("http://", "https://")):
                continue
            judged, resolved, suggestion = resolver.link(entry.path, target)
            if not judged:
                # A bare slug ("creating-effective-skills"): a page next to this one.
                path, _ = split_target(target)
                judged, resolved, suggestion = resolver.link(entry.path, f"./{posixpath.basename(path)}.md")
            refs.append(Reference("related-article", target, line, resolved, suggestion, key))
    return refs


def _item_line(lines: list[str], key_line: int, target: str) -> int:
    for number in range(key_line, min(len(lines), key_line + 60) + 1):
        if target in lines[number - 1]:
            return number
    return key_line
