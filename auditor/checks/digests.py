"""Entry digests: what the rules that look across entries read of each entry, kept between runs, so that `check`
of a few files reads those files and not the whole directory.

A digest holds an entry's id, path, `related` ids and kind (the id graph), its category and date formats
(STR015, STR018), its shape (the fields and sections `infer_requirements` counts) and its duplicate features
(auditor/checks/rules/duplicates/_features.py). Rules fed digests for the entries they are not judging
(`AuditContext.others`) find what they would find with every entry loaded; a test checks that on the examples
and on a generated directory.

Kept in `.auditor/digests.bin` beside the directory's store, only where that folder exists, for a content folder
read one file per entry: the digests column by column (`DigestTable`: a few lists and arrays load far faster
than 50,000 small objects), pickled and preceded by a keyed hash (HMAC-SHA256) under this user's secret
(auditor/cache_key.py), and keyed by the auditor's code and the configuration before anything was inferred. A
file modified within `RACY_SECONDS` of the run is not kept (a second edit in the same clock tick would go
unseen). `--no-cache` (or AUDITOR_NO_CACHE=1) neither reads nor writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from auditor.cache_key import RACY_SECONDS, caches_off, code_digest, read_signed, secret, write_signed
from auditor.checks.inferred import Shape, shape_of
from auditor.checks.rules.duplicates._features import KEYS, DuplicateFeatures, FeatureMaker
from auditor.checks.rules.structure._dates import dated_values
from auditor.config import Config
from auditor.models import Entry

FILE_NAME = "digests.bin"
FORMAT = 2  # 1: without the generation
# More rows than this replaced in one run (a first full read, a mass edit): their old digests are not kept for the
# run (`DigestStore.replaced` is None), and the rules that would read them look at the whole directory instead.
REPLACED_MAX = 1000


class EntryDigest(NamedTuple):
    """One entry's digest (a row of the table)."""

    path: str
    id: str  # as read: a later file with a taken id is keyed `id@path` once all files are known
    twin_path: str
    kind: str | None
    related: tuple[str, ...]
    category: str | None  # the `category:` value, when the entry has that field (STR015)
    dated: tuple[tuple[str, str], ...]  # (key, format) of its date-like values (STR018)
    shape: Shape
    duplicates: DuplicateFeatures | None


SEPARATOR = "\x1f"  # between the ids of `related` and the addresses of `urls` in the table's text columns


class EntryRef(NamedTuple):
    """What `AuditContext.by_id` and `by_path` give for an entry `check` did not read (`AuditContext.full` reads
    it): its path, id and `related` ids."""

    path: str
    id: str
    twin_path: str
    related_text: str  # the `related` ids joined by SEPARATOR

    @property
    def related(self) -> list[str]:
        """A list, as Entry.related is: rules quote it."""
        return self.related_text.split(SEPARATOR) if self.related_text else []

    def lists(self, wanted: str) -> bool:
        """Whether `related` holds this id."""
        text = self.related_text
        return wanted in text and f"{SEPARATOR}{wanted}{SEPARATOR}" in f"{SEPARATOR}{text}{SEPARATOR}"


class FeatureBlob(NamedTuple):
    """One part's features (summary shingles or body lines) of the rows of one group, end to end: `bytes.find`
    looks a feature up among 50,000 entries' at C speed. Row `rows[k]` holds 64-bit values `starts[k]` to
    `starts[k + 1]`."""

    data: bytes
    starts: array
    rows: array


# Columns a row has one value in: EntryDigest's fields (`related` as text), then the duplicate features' (`keys`
# holds len(KEYS) a row, `urls` is text, `place` is the row's place in its group's FeatureBlob).
COLUMNS = ("path", "id", "twin_path", "kind", "related", "category", "dated", "shape",
           "group", "readable", "keys", "urls", "place")
PARTS = ("summary", "body")


class DigestTable:
    """Digests column by column, with each file's size and modification time when digested."""

    def __init__(self, columns: dict[str, Any], sizes: array, mtimes: array) -> None:
        self.columns, self.sizes, self.mtimes = columns, sizes, mtimes
        self.row_of = dict(zip(columns["path"], range(len(sizes)), strict=True))

    def __len__(self) -> int:
        return len(self.sizes)

    def column(self, name: str) -> Any:
        return self.columns[name]

    @classmethod
    def of(cls, rows: list[tuple[int, int, EntryDigest]]) -> DigestTable:
        columns: dict[str, Any] = {name: [] for name in COLUMNS}
        columns["keys"], columns["place"], columns["readable"] = array("Q"), array("l"), bytearray()
        empty_keys = bytes(8 * len(KEYS))
        pieces: dict[str, dict[str | None, tuple[list[bytes], array, array]]] = {part: {} for part in PARTS}
        for number, (_size, _mtime, digest) in enumerate(rows):
            for name in COLUMNS[:8]:
                columns[name].append(getattr(digest, name))
            columns["related"][-1] = SEPARATOR.join(digest.related)
            features = digest.duplicates
            columns["readable"].append(features is not None)
            columns["group"].append(features.group if features else None)
            columns["keys"].frombytes(features.keys if features else empty_keys)
            columns["urls"].append(SEPARATOR.join(features.urls) if features else "")
            columns["place"].append(-1)
            if features is None:
                continue
            for part in PARTS:
                data, starts, numbers = pieces[part].setdefault(features.group, ([], array("l", [0]), array("l")))
                values = getattr(features, part)
                data.append(values)
                starts.append(starts[-1] + len(values) // 8)
                numbers.append(number)
            columns["place"][-1] = len(numbers) - 1
        for part in PARTS:
            columns[part] = {group: FeatureBlob(b"".join(data), starts, numbers)
                             for group, (data, starts, numbers) in pieces[part].items()}
        return cls(columns, array("q", (row[0] for row in rows)), array("q", (row[1] for row in rows)))

    def patched(self, rows: dict[int, tuple[int, int, EntryDigest]]) -> DigestTable | None:
        """This table with a few rows replaced (number -> size, time, digest), built without going through every
        row; None when a replaced row moves to another group or is no longer readable (build it whole then)."""
        c = self.columns
        for number, (_size, _mtime, digest) in rows.items():
            features = digest.duplicates
            if not c["readable"][number] or features is None or features.group != c["group"][number]:
                return None
        columns = {name: (array(value.typecode, value) if isinstance(value, array) else type(value)(value))
                   for name, value in c.items()}
        sizes, mtimes = array("q", self.sizes), array("q", self.mtimes)
        width = len(KEYS)
        touched: dict[str, dict[str | None, dict[int, bytes]]] = {part: {} for part in PARTS}
        for number, (size, mtime, digest) in rows.items():
            sizes[number], mtimes[number] = size, mtime
            for name in COLUMNS[:8]:
                columns[name][number] = getattr(digest, name)
            columns["related"][number] = SEPARATOR.join(digest.related)
            features = digest.duplicates
            assert features is not None
            columns["keys"][number * width:(number + 1) * width] = array("Q", features.keys)
            columns["urls"][number] = SEPARATOR.join(features.urls)
            for part in PARTS:
                touched[part].setdefault(features.group, {})[c["place"][number]] = getattr(features, part)
        for part in PARTS:
            blobs = dict(c[part])
            for group, replaced in touched[part].items():
                blob = blobs[group]
                data, starts = blob.data, blob.starts
                pieces = [replaced.get(place) if place in replaced else data[starts[place] * 8:starts[place + 1] * 8]
                          for place in range(len(blob.rows))]
                blobs[group] = FeatureBlob(b"".join(pieces), array("l", [0, *accumulate(len(p) // 8 for p in pieces)]),
                                           blob.rows)
            columns[part] = blobs
        return DigestTable(columns, sizes, mtimes)

    def row(self, number: int) -> EntryDigest:
        c = self.columns
        features = None
        if c["readable"][number]:
            group, place = c["group"][number], c["place"][number]
            keys = c["keys"][number * len(KEYS):(number + 1) * len(KEYS)].tobytes()
            parts = []
            for part in PARTS:
                blob = c[part][group]
                parts.append(blob.data[blob.starts[place] * 8:blob.starts[place + 1] * 8])
            urls = tuple(c["urls"][number].split(SEPARATOR)) if c["urls"][number] else ()
            features = DuplicateFeatures(group, keys, parts[0], parts[1], urls)
        related = tuple(c["related"][number].split(SEPARATOR)) if c["related"][number] else ()
        return EntryDigest(c["path"][number], c["id"][number], c["twin_path"][number], c["kind"][number], related,
                           c["category"][number], c["dated"][number], c["shape"][number], features)


class OtherDigests:
    """The entries `check` did not read, as digests, within the whole directory in order (`every`: the entries
    read, and EntryRef for the others): a reference's digest is the table's row for its path, or a `fresh` one
    for a file read because it changed. Rules that look across entries read their columns (`values`)."""

    def __init__(self, table: DigestTable, every: list[Any], fresh: list[EntryDigest]) -> None:
        self.table, self.every = table, every
        self.fresh = {digest.path: digest for digest in fresh}
        row_of = table.row_of
        rows = {row_of.get(item.path, -1) for item in every if isinstance(item, EntryRef)
                and item.path not in self.fresh}
        self.skipped = set(range(len(table))) - rows  # rows of files changed, asked for or gone

    def __bool__(self) -> bool:
        return True

    def values(self, name: str, of_entry: Callable[[Entry], Any]) -> Iterator[Any]:
        """A column of EntryDigest (`dated`, `category`, `shape` ...) over the whole directory in order, with
        `of_entry` giving an entry's value from the entry itself (the way its digest would hold it)."""
        column, row_of, fresh = self.table.column(name), self.table.row_of, self.fresh
        for item in self.every:
            if isinstance(item, Entry):
                yield of_entry(item)
            elif item.path in fresh:
                yield getattr(fresh[item.path], name)
            else:
                yield column[row_of[item.path]]


def dated_of(entry: Entry) -> tuple[tuple[str, str], ...]:
    """(key, format) of the entry's date-like values (STR018)."""
    return tuple((key, fmt) for key, _value, fmt, _line in dated_values(entry))


def category_of(entry: Entry) -> str | None:
    """The entry's `category:` value, when it has that field (STR015)."""
    return entry.category if entry.category and "category" in entry.meta else None


class DigestMaker:
    def __init__(self, config: Config) -> None:
        self.features = FeatureMaker(config.pack.get("duplicates") or {})
        self._shared: dict[Any, Any] = {}

    def share(self, value: Any) -> Any:
        """One object for equal values (kinds, date styles, shapes): pickled once, loaded once."""
        return self._shared.setdefault(value, value)

    def of(self, entry: Entry) -> EntryDigest:
        from auditor.checks.rules.duplicates._index import DuplicateIndex

        share = self.share
        return EntryDigest(
            entry.path, entry.id.removesuffix(f"@{entry.path}") if _keyed_by_path(entry) else entry.id,
            entry.twin_path, share(entry.kind), share(tuple(entry.related)), share(category_of(entry)),
            share(dated_of(entry)), share(shape_of(entry)),
            self.features.of(entry, share(entry.kind or DuplicateIndex.file_type(entry))))


def _keyed_by_path(entry: Entry) -> bool:
    return any(p.kind == "duplicate-id" for p in entry.problems) and entry.id.endswith(f"@{entry.path}")


# The settings a digest's content depends on (what files are entries and how they are read): a digest kept by an
# audit with links checked serves an offline `check`; the rest of what the rules read comes from the rule packs.
READING_SETTINGS = ("exclude", "max_entry_bytes", "input_format")


def _base(config: Config) -> bytes:
    """The code, the rule packs and the reading settings as written (before inference, which the digests feed)."""
    settings = {key: config.settings.get(key) for key in READING_SETTINGS}
    basis = {"format": FORMAT, "code": code_digest(), "settings": settings, "pack": config.pack,
             "source": str(config.source) if config.source is not None else None}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).digest()


class DigestStore:
    """The digests of one content folder, as kept and as this run leaves them.

    Each write gets a new `generation` (random), so the entry cache can tell whether the digests read at the start
    of a run are the ones its findings were made beside; `replaced` then holds the digests this run's update
    dropped or remade (path -> the old row): what the changed and removed entries were before."""

    def __init__(self, root: Path, key: bytes, base: bytes) -> None:
        self.root, self.key, self.base = root, key, base
        self.path = root / ".auditor" / FILE_NAME
        self.table = DigestTable.of([])
        self.started_ns = time.time_ns()
        self.previous_generation: str | None = None  # of the digests read (None: none were)
        self.generation: str | None = None  # of the digests on disk after this run's update (None: not known)
        self.replaced: dict[str, EntryDigest] | None = {}

    @classmethod
    def open(cls, root: Path | None, config: Config) -> DigestStore | None:
        """The store of the folder at `root` (empty when none was kept), or None when none can be kept."""
        if root is None or caches_off():
            return None
        key = secret()
        if key is None:
            return None
        store = cls(root, key, _base(config))
        loaded = read_signed(store.path, key, store.base)
        if isinstance(loaded, tuple) and len(loaded) == 4 and isinstance(loaded[3], str):
            try:
                store.table = DigestTable(*loaded[:3])
                store.previous_generation = store.generation = loaded[3]
            except (KeyError, TypeError, ValueError):  # columns of another shape: read every file
                store.table = DigestTable.of([])
        return store

    def update(self, entries: Iterable[Entry], config: Config) -> None:
        """Keep the digests of these entries (all of the folder's: files not among them are forgotten) and write
        the file when anything changed."""
        from auditor.sources.safe_files import plain_file_info

        top = os.path.abspath(self.root)
        table = self.table
        found: list[tuple[Entry, tuple[int, int], int | None]] = []  # (entry, its file's stamp, its row kept)
        unchanged = True
        for number, entry in enumerate(entries):
            info = plain_file_info(top, entry.path)
            if info is None or self.started_ns - info.st_mtime_ns < RACY_SECONDS * 1e9:
                unchanged = False
                continue
            stamp = (info.st_size, info.st_mtime_ns)
            kept = table.row_of.get(entry.path)
            if kept is not None and (table.sizes[kept], table.mtimes[kept]) != stamp:
                kept = None
            unchanged = unchanged and kept == number
            found.append((entry, stamp, kept))
        if (unchanged and len(found) == len(table)) or not self.path.parent.is_dir():
            return  # an unchanged folder: the file already says all this
        kept_rows = {kept for _entry, _stamp, kept in found if kept is not None}
        if len(table) - len(kept_rows) > REPLACED_MAX:
            self.replaced = None
        else:
            paths = table.column("path")
            self.replaced = {paths[number]: table.row(number) for number in range(len(table))
                             if number not in kept_rows}
        maker = DigestMaker(config)
        for name in ("kind", "category", "dated", "shape", "group"):  # values shared in the file, shared again
            for value in table.column(name):
                maker.share(value)
        paths = table.column("path")
        patched = None
        if len(found) == len(table) and self.replaced is not None and all(
                kept == number or (kept is None and paths[number] == entry.path)
                for number, (entry, _stamp, kept) in enumerate(found)):  # the same files, a few changed
            patched = table.patched({number: (*stamp, maker.of(entry))
                                     for number, (entry, stamp, kept) in enumerate(found) if kept is None})
        if patched is None:
            rows = [(*stamp, table.row(kept) if kept is not None else maker.of(entry))
                    for entry, stamp, kept in found]
            patched = DigestTable.of(rows)
        self.table = table = patched
        self.generation = None
        generation = os.urandom(16).hex()
        try:
            write_signed(self.path, self.key, self.base, (table.columns, table.sizes, table.mtimes, generation))
        except OSError:  # a folder that cannot be written: `check` reads every file next time
            return
        self.generation = generation


def keep_digests(root: Path | None, entries: list[Entry], config: Config, create: bool = True) -> DigestStore | None:
    """After a full read of a content folder (one file per entry): keep the entries' digests for `check`. Without
    `create`, only digests kept already are brought up to date: digesting every entry costs a first audit of
    50,000 entries some seconds, so the first `check` that reads the whole folder makes them instead.
    Returns the digests as this run left them (what the entry cache and the rules that look across entries read
    of the unchanged entries), or None when none are kept."""
    if root is None or not (root / ".auditor").is_dir():
        return None
    if any(entry.twin_path or entry.lines is not None or entry.source_format for entry in entries):
        return None  # not a content folder read one file per entry: `check` reads it whole
    store = DigestStore.open(root, config)
    if store is not None and (create or len(store.table)):
        store.update(entries, config)
        return store
    return None


__all__ = ["DigestMaker", "DigestStore", "DigestTable", "EntryDigest", "EntryRef", "OtherDigests", "category_of",
           "dated_of", "keep_digests"]
