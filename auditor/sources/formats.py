"""What the readers of other directory formats share: the file index, the field map, and resolving references.

Every reader (awesome.py, skills.py, yaml_pairs.py, registry_json.py, plugins.py, docs_pages.py) turns files into
the same `Entry` objects the content folder gives. The field map (`field_map` setting) says which key of a record
fills which entry field; references between files are resolved here, once, with the format's own conventions, so
the XRF rules only report what did not resolve.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from auditor import safe_yaml
from auditor.config import Config
from auditor.links.extract import body_links
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, LoadProblem, Reference
from auditor.sources.markdown import parse_date
from auditor.sources.routes import page_files, route_files
from auditor.sources.safe_files import Read, max_entry_bytes, read_capped, read_text, resolve

SKIP_DIRS = {"node_modules", "__pycache__"}
DATA_SUFFIXES = (".md", ".mdx", ".markdown", ".yml", ".yaml", ".json")
# Template placeholders and variables: not a path anyone can follow as written.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\$\{|\{%|<%|^\$|^%|^<[^>]*>$|^\{[^}]*\}$|\[\[")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_LOCALE = re.compile(r"^[a-z]{2}(-[a-z]{2,4})?$", re.IGNORECASE)
# Link targets that are words standing for an address in a template (`[Sponsor](url)`, `[#<n>](<url>)`).
_PLACEHOLDER_WORD = re.compile(r"^(?:[a-z]+[-_])*(url|uri|link|href|path|target|slug)s?$", re.IGNORECASE)


class FileIndex:
    """Every file and folder under the root (hidden ones and node_modules left out), as POSIX paths. Only regular
    files (or symbolic links to one inside the root) are files; the others are in `refused`, with the reason."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []
        self.dirs: set[str] = {""}
        self.refused: dict[str, str] = {}
        pending = [""]
        while pending:
            rel_folder = pending.pop()
            try:
                with os.scandir(root / rel_folder if rel_folder else root) as found:
                    items = sorted(found, key=lambda item: item.name)
            except OSError:
                continue
            subdirs = []
            for item in items:
                if item.name.startswith("."):
                    continue
                rel = f"{rel_folder}/{item.name}" if rel_folder else item.name
                if item.is_dir(follow_symlinks=False):
                    if item.name not in SKIP_DIRS:
                        self.dirs.add(rel)
                        subdirs.append(rel)
                elif item.is_file(follow_symlinks=False):
                    self.files.append(rel)
                else:
                    try:
                        resolve(root, Path(item.path))
                    except OSError as exc:
                        if item.is_symlink() and _is_dir(item.path):
                            self.dirs.add(rel)  # a linked folder: listed, never walked into (as os.walk does)
                        else:
                            self.refused[rel] = str(exc)
                    else:
                        self.files.append(rel)
            pending.extend(reversed(subdirs))
        self.file_set = set(self.files)
        self._choices: dict[str, list[str]] = {}

    def exists(self, rel: str) -> bool:
        rel = rel.rstrip("/")
        return rel in self.file_set or rel in self.dirs or (not rel.startswith(".") and (self.root / rel).exists())

    def is_dir(self, rel: str) -> bool:
        return rel.rstrip("/") in self.dirs

    def closest(self, wanted: str, folder: bool = False, cutoff: float = 70, within: str = "",
                settings: dict[str, Any] | None = None) -> str | None:
        """The existing file (or folder) whose path is most like `wanted`: the last part weighs most. With
        `within`, only paths under that folder. Only a path close enough to be what the writer meant (one part
        mistyped, `settings` from rules/suggestions.yml) is returned."""
        from rapidfuzz import fuzz, process

        from auditor.suggestions import close_enough

        wanted = wanted.strip("/")
        suffix = "/" if folder else posixpath.splitext(wanted)[1].lower()
        choices = self._choices.get(suffix)
        if choices is None:
            if folder:
                choices = sorted(d for d in self.dirs if d)
            else:
                choices = [f for f in self.files if posixpath.splitext(f)[1].lower() == suffix] or self.files
            self._choices[suffix] = choices
        if within:
            choices = [c for c in choices if c.startswith(within)]
        base = posixpath.basename(wanted)
        best: tuple[float, str] | None = None
        names = [posixpath.basename(c) for c in choices]
        for _match, score, index in process.extract(base, names, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8):
            candidate = choices[index]
            if not close_enough(wanted, candidate, settings):
                continue
            total = score * 2 + fuzz.ratio(wanted, candidate)
            if best is None or total > best[0]:
                best = (total, candidate)
        return best[1] if best else None


def _is_dir(path: str) -> bool:
    try:
        return os.path.isdir(path)
    except OSError:  # a link loop
        return False


@lru_cache(maxsize=64)
def _one_pattern(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """The glob patterns as one regular expression (fnmatch's translation of each): one match per name instead of
    two `fnmatch` calls per pattern, over every file of a large directory."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in patterns))


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    """Whether the file's name or path matches one of the `exclude` patterns (fnmatch's rules)."""
    compiled = _one_pattern(tuple(patterns))
    if compiled is None:
        return False
    return (compiled.match(os.path.normcase(posixpath.basename(rel))) is not None
            or compiled.match(os.path.normcase(rel)) is not None)


def mark_prompt_files(entries: Iterable[Entry], config: Config) -> None:
    """Entries whose file is written for a model (`prompt_files`) are marked so, with `prompt_rules_off` off."""
    patterns = [str(p) for p in config.settings.get("prompt_files") or []]
    off = {str(code).strip().upper() for code in config.settings.get("prompt_rules_off") or []}
    if not patterns:
        return
    for entry in entries:
        if excluded(entry.path, patterns):
            entry.for_model = True
            entry.ignore |= off


# -- the field map -----------------------------------------------------------------------------------------

def get_path(record: Any, dotted: str) -> Any:
    """`record["a"]["b"]` for "a.b"; keys that hold dots themselves ("io.example/meta") are found too."""
    if not isinstance(record, dict):
        return None
    if dotted in record:
        return record[dotted]
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in record:
            found = get_path(record[head], ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


ENTRY_TEXT_FIELDS = ("title", "summary", "owner", "id")
ENTRY_DATE_FIELDS = ("updated", "reviewed", "published")


@dataclass
class FormatContext:
    """What a reader needs: the root, its file index, the configuration and its format's field map."""

    root: Path
    config: Config
    index: FileIndex
    claimed: set[str] = field(default_factory=set)
    # What a reader saw and left unread, as (path or path:line, why): shown in the run summary. Any reader
    # may add to it (an HTML table in a list, an archival or generated file).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Every file whose bytes were read: what format detection's answer depends on besides the listing.
    opened: set[str] = field(default_factory=set)

    def field_map(self, fmt: str) -> dict[str, str]:
        return dict((self.config.settings.get("field_map") or {}).get(fmt) or {})

    def kind(self, fmt: str) -> str | None:
        kind = str((self.config.settings.get("format_kinds") or {}).get(fmt) or "").strip().lower()
        return kind if kind in self.config.kinds else None

    def rules_off(self) -> set[str]:
        return {str(code).strip().upper() for code in self.config.settings.get("format_rules_off") or []}

    @property
    def max_bytes(self) -> int:
        return max_entry_bytes(self.config.settings)

    def read(self, rel: str, limit: int | None = 0) -> Read:
        """A file under the root, at most `limit` bytes of it (0: `max_entry_bytes`; None: all of a file that holds
        a whole list); Refused (an OSError) when it is not a regular file inside the root."""
        self.opened.add(rel)
        return read_capped(self.root, self.root / rel, max_entry_bytes(self.config.settings) if limit == 0 else limit)

    def read_bytes(self, rel: str, limit: int | None = 0) -> bytes:
        return self.read(rel, limit).data

    def read_text(self, rel: str, limit: int | None = 0) -> str:
        return self.read(rel, limit).data.decode("utf-8")

    def content_roots(self) -> list[str]:
        return [str(r).strip("/") for r in self.config.settings.get("site_content_roots") or []]


def apply_field_map(entry: Entry, record: dict[str, Any], mapping: dict[str, str], kind: str | None,
                    kinds: tuple[str, ...], line_of_key: dict[str, int] | None = None) -> None:
    """Fill the entry's fields from one record through the format's field map. The record's own `kind` (when it is
    a known kind) wins over the format's; a date that is not one becomes a `bad-date` problem."""
    lines = line_of_key or {}
    taken: set[str] = set()
    for key, target in mapping.items():
        value = get_path(record, key)
        if value is None or value == "" or target in taken:
            continue
        line = lines.get(key) or lines.get(key.split(".", 1)[0])
        taken.add(target)
        if line:
            entry.field_lines.setdefault(target.split(".", 1)[0], line)
        if target in ENTRY_TEXT_FIELDS:
            if isinstance(value, str | int | float):
                setattr(entry, target, str(value).strip() or getattr(entry, target))
        elif target in ENTRY_DATE_FIELDS:
            date = parse_date(value) if not isinstance(value, dt.date) else value
            if isinstance(date, dt.datetime):
                date = date.date()
            if date is None:
                date = parse_loose_date(str(value))
            if date is None:
                entry.problems.append(LoadProblem(
                    "bad-date", f"`{key}` is not a date: {value!r} (expected YYYY-MM-DD)", line or 1,
                    field=key, evidence=f"{key}: {value}"))
            else:
                setattr(entry, target, date)
        elif target == "category":
            if isinstance(value, list):
                value = value[0] if value else None
            entry.category = str(value).strip() if value is not None else None
        elif target.startswith("links."):
            if isinstance(value, str) and value.strip():
                entry.links.setdefault(target.split(".", 1)[1], value.strip())
        elif target == "related":
            items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            entry.related = [str(item).strip() for item in items if isinstance(item, str | int)]
        elif target == "kind":
            text = str(value).strip().lower()
            if text in kinds:
                entry.kind = text
        # Other targets (tags ...) stay in entry.meta under the record's own key.
    record_kind = str(record.get("kind") or "").strip().lower() if isinstance(record, dict) else ""
    if entry.kind is None:
        entry.kind = record_kind if record_kind in kinds else kind


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_LOOSE = (
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
)


def parse_loose_date(text: str) -> dt.date | None:
    """Dates written another common way: 2026/04/05, 2026-04-05T10:00:00.000Z, April 5, 2026, 5 Apr 2026."""
    text = text.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for pattern in _LOOSE:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    m = re.match(r"^([A-Za-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$", text) or None
    if m and m.group(1).lower() in _MONTHS:
        try:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        except ValueError:
            return None
    m = re.match(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]*\.? (\d{4})$", text)
    if m and m.group(2).lower() in _MONTHS:
        try:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            return None
    return None


# -- references ----------------------------------------------------------------------------------------------

def is_placeholder(target: str, line: str = "") -> bool:
    return bool(_PLACEHOLDER.search(target) or _PLACEHOLDER_WORD.match(target) or f"(<{target}>)" in line)


def relative_links(lines: list[str], first_line: int) -> Iterator[tuple[int, str]]:
    """(line, target) for every link in Markdown lines that names a path, not a web address: fenced code, inline
    code, anchors and template placeholders (`{{url}}`, `${x}`) left out."""
    code = fenced_lines(lines)  # a target that is itself a Markdown link (`[x]([y](z))`) is LNK008's
    for offset, text in enumerate(lines):
        if code[offset] or ("](" not in text and "=" not in text and "]:" not in text):
            continue
        for target in body_links(text):
            if (_SCHEME.match(target) or target.startswith(("//", "#", "[")) or is_placeholder(target, text)
                    or " " in target.strip()):
                continue
            yield first_line + offset, target


def split_target(target: str) -> tuple[str, str]:
    path, _, fragment = target.partition("#")
    return unquote(path.split("?", 1)[0]), fragment


def content_root_of(rel: str, roots: list[str]) -> str | None:
    """The site content root a file lies under (`website/src/content/docs`), or None."""
    for root in roots:
        if not root:
            continue
        if rel.startswith(root + "/"):
            return root
        marker = "/" + root + "/"
        at = rel.find(marker)
        if at >= 0:
            return rel[: at + len(marker) - 1]
    return None


def route_of(rel: str, content_root: str) -> str:
    """The route a site serves a page at: docs/guide/intro.md -> /guide/intro/, docs/guide/index.md -> /guide/."""
    inner = rel[len(content_root) + 1:]
    stem = re.sub(r"\.(md|mdx|markdown)$", "", inner)
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")].rstrip("/")
    return "/" + (stem + "/" if stem else "")


_PAGE_SUFFIXES = ("", ".md", ".mdx", "/index.md", "/index.mdx", "/README.md")


class Resolver:
    """Resolves the paths one file gives to others, with the conventions of the directory's formats."""

    def __init__(self, ctx: FormatContext) -> None:
        self.index = ctx.index
        self.roots = ctx.content_roots()
        self.suffixes = {str(k): list(v) for k, v in (ctx.config.settings.get("reference_suffixes") or {}).items()}
        self.suggestions = ctx.config.pack.get("suggestions")
        self.routes = ctx.config.pack.get("routes")

    def _find(self, rel: str) -> str | None:
        rel = posixpath.normpath(rel) if rel else "."
        if rel == "." or rel.startswith("../") or rel == "..":
            return None
        bare = rel.rstrip("/")
        for candidate in [bare + suffix for suffix in _PAGE_SUFFIXES] + page_files(bare, self.routes):
            if self.index.exists(candidate):
                return candidate
        return None

    def _route(self, content_root: str, route: str) -> tuple[str | None, bool]:
        """(the file a route lands on, whether the route lies in the site's pages at all). A route under a locale
        folder (`/es-es/guide/`) that the locale has not translated falls back to the default locale's page, as
        Starlight and Docusaurus serve it."""
        inner = posixpath.normpath(route.lstrip("/")) if route.strip("/") else ""
        if inner.startswith(".."):
            return None, False
        found = self._find(f"{content_root}/{inner}" if inner else content_root)
        if found:
            return found, True
        first, _, rest = inner.partition("/")
        if _LOCALE.match(first) and rest and self.index.is_dir(f"{content_root}/{first}"):
            found = self._find(f"{content_root}/{rest}")
            if found:
                return found, True
        # A route the site builds from its pages folder (`website/src/pages/cookbook/index.astro`), not the docs.
        for candidate in route_files(inner, self.routes, content_root):
            if self.index.exists(candidate):
                return candidate, True
        return None, bool(first) and self.index.exists(f"{content_root}/{first}")

    def link(self, source: str, target: str) -> tuple[bool, str | None, str | None]:
        """(judged, resolved path, suggestion) for a link written in file `source`. A link that cannot be judged
        here (outside the directory, a site route the directory does not hold) is not judged."""
        path, _fragment = split_target(target)
        if not path:
            return False, None, None
        base = posixpath.dirname(source)
        content_root = content_root_of(source, self.roots)
        joined = posixpath.normpath(posixpath.join(base, path)) if not path.startswith("/") else ""
        if joined and not (joined == ".." or joined.startswith("../")):
            found = self._find(joined)
            if found:
                return True, found, None
        if content_root is not None:
            # A page of a static site: links are routes, relative to the page's own route or to the site root.
            route = path if path.startswith("/") else posixpath.join(route_of(source, content_root), path)
            found, inside = self._route(content_root, route)
            if found:
                return True, found, None
            if not inside:
                return False, None, None
            wanted = content_root + "/" + posixpath.normpath(route.lstrip("/"))
            # A typo is looked for where the writer meant the file to be: next to the page, then along the route.
            near = self._suggest(joined, base, relative_to=base) if joined and not joined.startswith("..") else None
            return True, None, near or self._suggest(wanted, base, relative_to=base)
        if path.startswith("/"):
            found = self._find(path.lstrip("/"))
            first = path.strip("/").split("/", 1)[0]
            if found or not (first and self.index.exists(first)):
                return found is not None, found, None
            return True, None, self._suggest(path.lstrip("/"), "", relative_to=None)
        if joined == ".." or joined.startswith("../"):
            return False, None, None
        return True, None, self._suggest(joined, base, relative_to=base)

    def manifest(self, manifest_dir: str, target: str, group: str) -> tuple[str | None, str | None]:
        """(resolved path, suggestion) for a path a manifest lists: relative to the manifest's folder, then to the
        directory root, then with the folder's file suffix (`agents/x.md` -> `agents/x.agent.md`)."""
        path, _ = split_target(target)
        candidates = [posixpath.normpath(posixpath.join(manifest_dir, path)), posixpath.normpath(path.lstrip("/"))]
        for candidate in candidates:
            if candidate.startswith(".."):
                continue
            if self.index.exists(candidate):
                return candidate, None
            folder = candidate.split("/", 1)[0]
            for suffix in self.suffixes.get(group, []) + self.suffixes.get(folder, []):
                if candidate.endswith(".md") and self.index.exists(candidate[:-3] + suffix):
                    return candidate[:-3] + suffix, None
        wanted = candidates[1]
        folder = path.endswith("/") or "." not in posixpath.basename(path)
        within = wanted.split("/", 1)[0] + "/" if "/" in wanted else ""
        suggestion = self._suggest(wanted, "", relative_to="", folder=folder, within=within)
        if suggestion and suggestion.rstrip("/") == manifest_dir:
            suggestion = None
        return None, "./" + suggestion if suggestion else None

    def _suggest(self, wanted: str, base: str, relative_to: str | None, folder: bool | None = None,
                 within: str = "") -> str | None:
        """The closest existing file (or folder), written relative to `relative_to` (None: from the root, `/`)."""
        wanted = wanted.strip("/")
        if folder is None:
            folder = "." not in posixpath.basename(wanted)
        match = self.index.closest(wanted, folder=folder, within=within, settings=self.suggestions)
        if match is None and folder:
            match = self.index.closest(wanted + ".md", within=within, settings=self.suggestions)
        if match is None:
            return None
        slash = "/" if self.index.is_dir(match) else ""
        if relative_to is None:
            return "/" + match + slash
        return posixpath.relpath(match, relative_to or ".") + slash


def link_refs(resolver: Resolver, source: str, lines: list[str], first_line: int, path: str = "") -> list[Reference]:
    """The relative links in these Markdown lines of file `source`, each resolved."""
    refs: list[Reference] = []
    seen: set[tuple[int, str]] = set()
    for line, target in relative_links(lines, first_line):
        if (line, target) in seen:
            continue
        seen.add((line, target))
        judged, resolved, suggestion = resolver.link(source, target)
        if judged:
            refs.append(Reference("link", target, line, resolved, suggestion, "body", path))
    return refs


def declared_categories(root: Path, config: Config) -> list[str] | None:
    """The directory's declared category names and ids, or None when it declares none."""
    import json

    import yaml

    name = str(config.settings.get("categories_file") or "")
    candidates = [root / name] if name else [root / n for n in ("categories.yml", "categories.yaml",
                                                                "categories.json")]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            text = read_text(root, path, max_entry_bytes(config.settings))
            data = json.loads(text) if path.suffix == ".json" else safe_yaml.load(text)
        except (OSError, ValueError, yaml.YAMLError):
            return None
        if isinstance(data, dict):
            data = data.get("categories", list(data.values()) if all(isinstance(v, dict) for v in data.values())
                            else list(data))
        names: list[str] = []
        for item in data or []:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict):
                names.extend(str(item[k]) for k in ("name", "id", "title", "slug") if item.get(k))
        return names
    return None
