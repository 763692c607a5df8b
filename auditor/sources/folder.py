"""The content-folder source: one Markdown file per entry, in folders of any depth."""

from __future__ import annotations

import fnmatch
import gc
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.models import Entry, LoadProblem
from auditor.sources.markdown import read_entry
from auditor.sources.safe_files import DEFAULT_MAX_ENTRY_BYTES, Refused, read_capped, refused_problem, too_large_problem

if TYPE_CHECKING:
    from auditor.sources.parsed_cache import ParsedCache

DEFAULT_EXCLUDE = ("README.md", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE*")


def iter_entry_files(root: Path, exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
                     skipped: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Markdown files under root, sorted, skipping hidden folders and excluded names (added to `skipped`)."""
    for rel in iter_entry_rels(root, exclude, skipped):
        yield root / rel


def iter_entry_rels(root: Path, exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
                    skipped: list[tuple[str, str]] | None = None) -> Iterator[str]:
    """The same files as iter_entry_files, as paths relative to root with POSIX separators."""
    for rel, _item in _entry_files(root, exclude, skipped):
        yield rel


def iter_entry_stats(root: Path, exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
                     skipped: list[tuple[str, str]] | None = None) -> Iterator[tuple[str, os.stat_result | None]]:
    """The same files with their status, when each is a regular file that nothing stands in for (else None: as
    safe_files.plain_file_info says, at one lstat a file and no path arithmetic)."""
    from auditor.sources.safe_files import OVERLAID, plain_file_info

    top = os.path.abspath(root)
    for rel, item in _entry_files(root, exclude, skipped):
        if OVERLAID or item.is_symlink():
            yield rel, plain_file_info(top, rel)
            continue
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            info = None
        yield rel, info if info is not None and stat.S_ISREG(info.st_mode) else None


def _entry_files(root: Path, exclude: tuple[str, ...],
                 skipped: list[tuple[str, str]] | None) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Markdown files under root in os.walk's order (a folder's files, then its folders, each sorted), skipping
    hidden folders, `_` folders, node_modules and excluded names; never into a linked folder."""
    excluded = re.compile("|".join(fnmatch.translate(pattern) for pattern in exclude)) if exclude else None
    pending = [(os.fspath(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as found:
                items = list(found)
        except OSError:
            continue
        folders, files = [], []
        for item in items:
            try:
                is_folder = item.is_dir()
            except OSError:
                is_folder = False
            (folders if is_folder else files).append(item)
        for item in sorted(files, key=lambda found: found.name):
            name = item.name
            if not name.endswith(".md"):
                continue
            rel = prefix + name
            # fnmatch.fnmatch's own case rule (os.path.normcase), with its patterns compiled once
            if excluded is not None and (excluded.match(os.path.normcase(name))
                                         or excluded.match(os.path.normcase(rel))):
                if skipped is not None:
                    skipped.append((rel, "excluded by the `exclude` setting"))
                continue
            yield rel, item
        walk = sorted((item for item in folders if not item.name.startswith((".", "_"))
                       and item.name != "node_modules"), key=lambda found: found.name)
        pending.extend((item.path, prefix + item.name + "/") for item in reversed(walk) if not item.is_symlink())


def load_folder(
    root: Path,
    kinds: tuple[str, ...],
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
    progress: Callable[[int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
) -> list[Entry]:
    """Every entry under root. Unreadable files become entries carrying their problems."""
    return load_files(root, list(iter_entry_files(root, exclude)), kinds, progress, max_bytes)


def load_files(
    root: Path,
    paths: list[Path],
    kinds: tuple[str, ...],
    progress: Callable[[int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
    cache: ParsedCache | None = None,
) -> list[Entry]:
    """The entries in these files (found under root), with duplicate ids marked: `load_rels` on their paths
    relative to root."""
    top = os.fspath(root) + os.sep
    rels = []
    for path in paths:
        name = os.fspath(path)
        rels.append((name[len(top):] if name.startswith(top) else os.path.relpath(name, top)).replace(os.sep, "/"))
    return load_rels(root, rels, kinds, progress, max_bytes, cache)


def load_rels(
    root: Path,
    rels: list[str],
    kinds: tuple[str, ...],
    progress: Callable[[int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
    cache: ParsedCache | None = None,
) -> list[Entry]:
    """The entries in the files at these paths (relative to root, POSIX separators), with duplicate ids marked.
    Only regular files inside the root are read (see safe_files), and at most `max_bytes` of each. With a `cache`,
    a file that has not changed since an earlier run gives the entry read then (no `Path` made for it), and what is
    read now is kept for the next run (these `rels` are all the folder's files: the cache forgets the others)."""
    entries: list[Entry] = []
    for rel in rels:
        cached = cache.get(rel) if cache is not None else None
        if cached is not None:
            entries.append(cached)
        else:
            entries.append(_read_file(root, root / rel, rel, kinds, max_bytes))
            if cache is not None:
                cache.put(rel, entries[-1])
        if progress:
            progress(1)
        if len(entries) % _FREEZE_EVERY == 0:
            # Entries live for the whole run: move them out of the collector's sight, or every full collection
            # walks all the entries read so far (about a quarter of the loading time at 50 000 entries).
            gc.freeze()
    if cache is not None:
        cache.save(complete=True)  # the entries as read: nothing has marked a duplicate id yet
    mark_duplicate_ids(entries)
    return entries


def _read_file(root: Path, path: Path, rel: str, kinds: tuple[str, ...], max_bytes: int) -> Entry:
    """The entry one file holds; a file that cannot be read is an entry carrying that problem."""
    try:
        read = read_capped(root, path, max_bytes)
    except Refused as exc:
        entry = Entry(id=path.stem, path=rel)
        entry.problems.append(refused_problem(exc))
    except OSError as exc:
        entry = Entry(id=path.stem, path=rel)
        entry.problems.append(LoadProblem("unreadable", f"the file cannot be read: {exc.strerror}", 1))
    else:
        entry = read_entry(read.data, path.stem, rel, kinds)
        if read.truncated:
            entry.problems.insert(0, too_large_problem(read, max_bytes))
    return entry


_FREEZE_EVERY = 2000


def read_entry_file(root: Path, rel: str, kinds: tuple[str, ...], max_bytes: int) -> Entry:
    """The entry of one file of the folder, as `load_files` reads it (before duplicate ids are marked)."""
    return _read_file(root, root / rel, rel, kinds, max_bytes)


def mark_duplicate_ids(entries: list[Entry]) -> None:
    """The first file keeps an id; later files with the same id are reported and keyed by their path."""
    first_by_id: dict[str, Entry] = {}
    for entry in entries:
        first = first_by_id.get(entry.id)
        if first is None:
            first_by_id[entry.id] = entry
            continue
        mark_duplicate_id(entry, first.path)


def mark_duplicate_id(entry: Entry, first_path: str) -> None:
    """Report that the file at `first_path` already has this entry's id, and key the entry by its path."""
    entry.problems.append(
        LoadProblem("duplicate-id", f"id `{entry.id}` is already used by {first_path}",
                    entry.line_of("id", 1), field="id", evidence=first_path)
    )
    entry.id = f"{entry.id}@{entry.path}"
