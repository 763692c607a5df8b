"""Choosing how to read a directory: the content folder, or the formats other directories are kept in.

`input_format` (the setting, or `--input-format`) is `auto`, `folder`, or a comma-separated list of formats.
`auto` looks at the files: SKILL.md files mean skills, `plugin.json` manifests plugins, `<slug>/<slug>.yml` YAML
pairs, JSON with registry keys registry records, README-like Markdown whose bullets are links an awesome list, and
front-matter Markdown without a `kind` docs pages. A directory with none of these, or whose front matter names
kinds, is a content folder, read as it always was.

The formats of one directory are read together: each claims its files in turn (a skill claims its whole folder,
a YAML pair its twin, a plugin its README), and what is left goes to the next.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.models import Entry
from auditor.sources import awesome, docs_pages, plugins, registry_json, skills, yaml_pairs
from auditor.sources.base import FolderSource, Progress, Source, no_progress
from auditor.sources.folder import mark_duplicate_ids
from auditor.sources.formats import DATA_SUFFIXES, FileIndex, FormatContext, excluded, mark_prompt_files
from auditor.sources.marked import Skipped, drop_marked
from auditor.sources.safe_files import refused_problem_for

# In the order they claim files.
READERS: dict[str, Any] = {
    "skills": skills,
    "plugins": plugins,
    "yaml-pairs": yaml_pairs,
    "registry-json": registry_json,
    "awesome": awesome,
    "docs-pages": docs_pages,
}
FORMATS = ("folder", *READERS)
CENSUS_SAMPLE = 400  # front-matter pages detection reads to tell a content folder from docs pages


class FormatError(ValueError):
    """An `input_format` that names no format."""


def parse_formats(value: str) -> list[str]:
    names = [part.strip().lower() for part in str(value or "auto").split(",") if part.strip()]
    for name in names:
        if name not in FORMATS and name != "auto":
            raise FormatError(f"unknown input format {name!r} (expected auto, {', '.join(FORMATS)})")
    if "folder" in names and len(names) > 1:
        raise FormatError("`folder` cannot be mixed with other input formats")
    return names or ["auto"]


@dataclass
class FormatsSource:
    """Entries read from one directory in one or more formats other than the content folder."""

    root: Path
    formats: list[str]
    kind: str = "formats"
    read_counts: dict[str, int] = field(default_factory=dict)
    index_bullets: int = 0  # list bullets that link the directory's own entries: an index, not entries
    read_files: dict[str, list[str]] = field(default_factory=dict)  # format -> the files it read
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) for files and blocks left unread
    marked: list[Skipped] = field(default_factory=list)  # of those, the archival or generated copies

    @property
    def location(self) -> str:
        return str(self.root.resolve())

    def load(self, config: Config, progress: Progress = no_progress) -> list[Entry]:
        index = FileIndex(self.root)
        ctx = FormatContext(self.root, config, index)
        files = [rel for rel in index.files if rel.endswith(DATA_SUFFIXES) and not rel.startswith(".auditor/")]
        files, self.marked = drop_marked(self.root, files, config.pack)
        claims, left = claim_all(ctx, files, self.formats)
        total = sum(len(paths) for paths in claims.values())
        advance = progress("reading entries", total)
        entries: list[Entry] = []
        for name, paths in claims.items():
            for start in range(0, len(paths), 200):
                batch = paths[start:start + 200]
                entries.extend(READERS[name].read(ctx, batch))
                advance(len(batch))
            self.read_counts[name] = len(paths)
        for rel, reason in index.refused.items():  # a link out of the root, a pipe ...: reported, never read
            if rel.endswith(DATA_SUFFIXES):
                entry = Entry(id=posixpath.splitext(posixpath.basename(rel))[0], path=rel)
                entry.problems.append(refused_problem_for(reason))
                entries.append(entry)
        entries, self.index_bullets = without_index_bullets(entries)
        self.read_files = {name: sorted({e.path for e in entries if e.source_format == name}
                                        | {e.twin_path for e in entries if e.source_format == name and e.twin_path})
                           for name in claims}
        self.skipped = [*self.marked, *left, *ctx.skipped]
        mark_duplicate_ids(entries)
        mark_prompt_files(entries, config)
        return entries


def without_index_bullets(entries: list[Entry]) -> tuple[list[Entry], int]:
    """The entries without the list bullets that link another entry of the directory (its file or its folder):
    a README listing `skills/<name>/` is the skills' index, not a second entry of each skill's id."""
    places = {entry.path for entry in entries if entry.source_format != awesome.FORMAT}
    places |= {posixpath.dirname(path) for path in places}
    kept = []
    for entry in entries:
        url = entry.links.get("homepage") or entry.links.get("repo") or ""
        if entry.source_format == awesome.FORMAT and url and "://" not in url and not url.startswith(("#", "/")):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), url.split("#", 1)[0]))
            if target.rstrip("/") in places:
                continue
        kept.append(entry)
    return kept, len(entries) - len(kept)


def claim_files(ctx: FormatContext, files: list[str], formats: list[str]) -> dict[str, list[str]]:
    """The files each format reads, in claiming order; files a format bundles (a skill's references, a YAML
    pair's twin, a plugin's README) are taken out of the pool without being entries."""
    return claim_all(ctx, files, formats)[0]


def claim_all(ctx: FormatContext, files: list[str], formats: list[str],
              ) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """(the files each format reads, every other file with why it is not read)."""
    pool = list(files)
    claims: dict[str, list[str]] = {}
    left: list[tuple[str, str]] = []
    for name in READERS:
        if name not in formats:
            continue
        reader = READERS[name]
        mine = reader.claim(ctx, pool)
        taken = _taken(name, pool, mine)
        if name == "skills":  # a skill's other files (references, scripts) go with it, but are not read
            left.extend((rel, "a file the skill beside it bundles: not read")
                        for rel in pool if rel in taken and posixpath.basename(rel) != skills.SKILL_FILE)
        pool = [rel for rel in pool if rel not in taken]
        if mine:
            claims[name] = mine
    patterns = list(ctx.config.settings.get("exclude") or [])
    for rel in pool:
        left.append((rel, "excluded by the `exclude` setting" if excluded(rel, patterns)
                     else "not in a format read here" + (f" ({', '.join(formats)})" if formats else "")))
    return claims, sorted(left)


def read_summary(source: Source) -> dict[str, Any]:
    """What a source read: each format with the files it read, and the files (or blocks) it left out, with why.
    A format entry's `paths` lists every file; the text output shows counts."""
    if isinstance(source, FormatsSource):
        formats = [{"format": name, "files": len(paths), "paths": paths} for name, paths in source.read_files.items()]
        skipped = [{"path": path, "reason": reason} for path, reason in source.skipped]
    else:
        paths = sorted(getattr(source, "read_paths", []) or [])
        formats = [{"format": source.kind, "files": len(paths), "paths": paths}] if paths else []
        skipped = [{"path": path, "reason": reason} for path, reason in getattr(source, "skipped", []) or []]
    return {"formats": formats, "skipped": skipped}


def compact_read(read: dict[str, Any], examples: int = 20) -> dict[str, Any]:
    """`read_summary` without the lists of files read, and with at most `examples` skipped files per reason: what
    the store keeps with the run (a directory of 50,000 files would otherwise store every path each run)."""
    shown: dict[str, int] = {}
    skipped = []
    for item in read["skipped"]:
        shown[item["reason"]] = shown.get(item["reason"], 0) + 1
        if shown[item["reason"]] <= examples:
            skipped.append(item)
    return {"formats": [{"format": f["format"], "files": f["files"]} for f in read["formats"]],
            "skipped": skipped, "skipped_by_reason": shown}


def read_lines(read: dict[str, Any], examples: int = 3) -> list[str]:
    """The run summary's lines about what was read: formats with file counts, then skipped files by reason."""
    formats = ", ".join(f"{item['format']} ({item['files']} file{'s' if item['files'] != 1 else ''})"
                        for item in read.get("formats", [])) or "nothing"
    lines = [f"Read:    {formats}"]
    by_reason: dict[str, list[str]] = {}
    for item in read.get("skipped", []):
        by_reason.setdefault(item["reason"], []).append(item["path"])
    counts = read.get("skipped_by_reason") or {reason: len(paths) for reason, paths in by_reason.items()}
    for reason, count in sorted(counts.items(), key=lambda pair: -pair[1]):
        paths = by_reason.get(reason, [])[:examples]
        shown = ", ".join(paths) + (f" and {count - len(paths)} more" if count > len(paths) else "")
        lines.append(f"Skipped: {count} ({reason}): {shown}")
    return lines


def _taken(name: str, pool: list[str], mine: list[str]) -> set[str]:
    """The files a format's reader claims, with the files that go with them (bundled files, twins)."""
    taken = set(mine)
    if name == "skills":
        taken |= skills.bundled(pool, mine)
    elif name == "yaml-pairs":
        taken |= yaml_pairs.twins(pool, mine)
    elif name == "plugins":
        taken |= plugins.twins(pool, mine)
    return taken


def detect(root: Path, config: Config) -> list[str]:
    """The formats a directory's files are in; [] for a content folder."""
    return detect_with_evidence(root, config)[0]


def detect_with_evidence(root: Path, config: Config) -> tuple[list[str], FormatContext]:
    """`detect`, with the context it looked through: its file index (every folder) and the files it opened."""
    index = FileIndex(root)
    ctx = FormatContext(root, config, index)
    files = [rel for rel in index.files if rel.endswith(DATA_SUFFIXES) and not rel.startswith(".auditor/")]
    found: list[str] = []
    pool = files
    for name in ("skills", "plugins", "yaml-pairs", "registry-json", "awesome"):
        mine = READERS[name].claim(ctx, pool)
        if name == "yaml-pairs" and len(mine) < 2:
            mine = []
        if mine:
            found.append(name)
            taken = _taken(name, pool, mine)
            pool = [rel for rel in pool if rel not in taken]
    # The census looks at the first CENSUS_SAMPLE pages only: opening every file of a 50,000-entry folder to find
    # them would cost seconds.
    pages = list(islice(docs_pages.iter_claim(ctx, pool), CENSUS_SAMPLE))
    native, foreign = _front_matter_census(ctx, pages)
    if native and not found:
        return [], ctx  # a content folder: its entries name their kind
    if foreign and foreign >= native:
        found.append("docs-pages")
    return found, ctx


def _front_matter_census(ctx: FormatContext, pages: list[str]) -> tuple[int, int]:
    """(pages whose front matter names a kind, pages with keys of another format) among the first CENSUS_SAMPLE."""
    native = foreign = 0
    for rel in pages[:CENSUS_SAMPLE]:
        try:
            head = ctx.read_bytes(rel, 4000).decode("utf-8", errors="replace")
        except OSError:
            continue
        block = head.split("\n---", 1)[0] if head.startswith("---") else ""
        keys = {line.split(":", 1)[0].strip() for line in block.splitlines()[1:] if ":" in line and
                not line.startswith((" ", "\t", "-"))}
        if "kind" in keys:
            native += 1
        elif keys & set(docs_pages.MARKERS):
            foreign += 1
    return native, foreign


def source_for(root: Path, config: Config, input_format: str | None = None, use_cache: bool = True) -> Source:
    """The source that reads this directory, from `--input-format`, else the `input_format` setting. A content
    folder takes unchanged files' entries from the parsed-entry cache unless `use_cache` is False (`--no-cache`)."""
    names = parse_formats(input_format or str(config.settings.get("input_format") or "auto"))
    if names == ["folder"]:
        return FolderSource(root, use_cache=use_cache)
    if names == ["auto"] or "auto" in names:
        from auditor.sources.detected import detected_formats  # it calls detect_with_evidence, here

        detected = detected_formats(root, config, use_cache)
        names = sorted({*detected, *(n for n in names if n != "auto")}, key=list(READERS).index)
        if not names:
            return FolderSource(root, use_cache=use_cache)
    return FormatsSource(root, names)


def describe(source: Source) -> str:
    if isinstance(source, FormatsSource):
        return ", ".join(source.formats)
    return "folder"


ProgressFactory = Callable[[str, int | None], Callable[[int], None]]


def entry_paths(entries: list[Entry]) -> set[str]:
    """Every file an entry was read from, twins included (for `auditor check` on a twin)."""
    paths = {e.path for e in entries}
    paths |= {e.twin_path for e in entries if e.twin_path}
    return paths


def is_under(path: str, prefix: str) -> bool:
    return prefix in ("", ".") or path == prefix or path.startswith(prefix.rstrip("/") + "/") or \
        posixpath.dirname(path) == prefix
