"""Entry digests: what the rules that look across entries read of each entry, kept between runs, so that `check`
of a few files reads those files and not the whole directory.

A digest holds an entry's id, path, `related` ids and kind (the id graph), its category and date formats
(STR015, STR018), its shape (the fields and sections `infer_requirements` counts) and its duplicate features
(auditor/checks/rules/duplicates/_features.py). Rules fed digests for the entries they are not judging
(`AuditContext.others`) find what they would find with every entry loaded; a test checks that on the examples
and on a generated directory.

Kept in `.auditor/digests/` beside the directory's store, only where that folder exists, for a content folder
read one file per entry: the digests column by column (`DigestTable`: a few lists and arrays load far faster
than 50,000 small objects), split by path into 256 shards and an index written last (auditor/sharded.py: an audit
after ten edits rewrites ten shards of 160 KB, not 41 MB; a run killed midway leaves the digests as they were),
each pickled and preceded by a keyed hash (HMAC-SHA256) under this user's secret (auditor/cache_key.py), and keyed
by the auditor's code and the configuration before anything was inferred. The shards are joined into one table
when read (a shard's rows together, shards in turn: nothing reads the rows in the directory's order). A file
modified within `RACY_SECONDS` of the run is not kept (a second edit in the same clock tick would go unseen);
its size and time are those the source found before reading it, when it says (FolderSource.stamps).
`--no-cache` (or AUDITOR_NO_CACHE=1) neither reads nor writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import accumulate, compress
from operator import sub
from pathlib import Path
from typing import Any, NamedTuple

from auditor.cache_key import RACY_SECONDS, caches_off, code_digest, secret
from auditor.checks.inferred import Shape, shape_of
from auditor.checks.rules.duplicates._features import KEYS, DuplicateFeatures, FeatureMaker
from auditor.checks.rules.structure._dates import dated_values
from auditor.config import Config
from auditor.models import Entry
from auditor.sharded import INDEX, Sharded, shard_of

FOLDER = "digests"
FILE_NAME = f"{FOLDER}/{INDEX}"  # written last: the digests are complete when it is
LEGACY_FILE = "digests.bin"  # formats 1 and 2, one file: removed once the shards are written
FORMAT = 3  # 1: without the generation; 2: one file
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

    def kept(self) -> tuple[Any, ...]:
        """The table as a shard keeps it: the columns but `place`, each group's features as (data, how many values
        each row holds), the sizes and times. What depends on the rows before it (a row's place in its group, where
        its values start, the numbers of the rows) is worked out when shards are joined, at C speed mostly."""
        c = self.columns
        columns = {name: value for name, value in c.items() if name not in ("place", *PARTS)}
        for part in PARTS:
            columns[part] = {group: (blob.data, array("l", map(sub, blob.starts[1:], blob.starts[:-1])))
                             for group, blob in c[part].items()}
        return columns, self.sizes, self.mtimes

    @classmethod
    def joined(cls, shards: Iterable[tuple[Any, ...]]) -> DigestTable:
        """One table of the rows of these shards (`kept`), one shard after the other."""
        columns: dict[str, Any] = {name: [] for name in COLUMNS}
        columns["keys"], columns["readable"] = array("Q"), bytearray()
        sizes, mtimes = array("q"), array("q")
        pieces: dict[str, dict[str | None, tuple[list[bytes], array]]] = {part: {} for part in PARTS}
        listed = [name for name in COLUMNS if name not in ("keys", "place", "readable")]
        for kept, shard_sizes, shard_mtimes in shards:
            for name in listed:
                columns[name].extend(kept[name])
            columns["keys"].extend(kept["keys"])
            columns["readable"].extend(kept["readable"])
            sizes.extend(shard_sizes)
            mtimes.extend(shard_mtimes)
            for part in PARTS:
                for group, (data, lengths) in kept[part].items():
                    datas, all_lengths = pieces[part].setdefault(group, ([], array("l")))
                    datas.append(data)
                    all_lengths.extend(lengths)
        # Each readable row's place among its group's rows, in the order of the rows.
        rows: dict[str | None, array] = {group: array("l") for group in pieces[PARTS[0]]}
        place = array("l", [-1]) * len(sizes)
        groups = columns["group"]
        for number in compress(range(len(sizes)), columns["readable"]):
            numbers = rows[groups[number]]
            place[number] = len(numbers)
            numbers.append(number)
        columns["place"] = place
        for part in PARTS:
            columns[part] = {group: FeatureBlob(b"".join(datas), array("l", accumulate(lengths, initial=0)),
                                                rows[group])
                             for group, (datas, lengths) in pieces[part].items()}
        return cls(columns, sizes, mtimes)

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
             # resolved: an audit named by a relative path uses the digests a `check` (which resolves its root) made
             "source": str(config.source.resolve()) if config.source is not None else None}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).digest()


class DigestStore:
    """The digests of one content folder, as kept and as this run leaves them.

    Kept in `SHARDS` files by path (auditor/sharded.py), each a table of its rows, joined into one table when read.
    Each write gets a new `generation` (random), so the entry cache can tell whether the digests read at the start
    of a run are the ones its findings were made beside; `replaced` then holds the digests this run's update
    dropped or remade (path -> the old row): what the changed and removed entries were before."""

    def __init__(self, root: Path, key: bytes, base: bytes) -> None:
        self.root, self.key, self.base = root, key, base
        self.folder = root / ".auditor" / FOLDER
        self.shards = Sharded(self.folder, key, base)
        self.parts: dict[int, tuple[Any, ...]] = {}  # shard number -> its rows as kept (DigestTable.kept)
        self.table = DigestTable.of([])
        self.started_ns = time.time_ns()
        self.previous_generation: str | None = None  # of the digests read (None: none were)
        self.generation: str | None = None  # of the digests on disk after this run's update (None: not known)
        self.replaced: dict[str, EntryDigest] | None = {}

    @property
    def path(self) -> Path:
        """The file whose writing completes the digests (the shards' index)."""
        return self.shards.index_path

    @classmethod
    def open(cls, root: Path | None, config: Config) -> DigestStore | None:
        """The store of the folder at `root` (empty when none was kept), or None when none can be kept."""
        if root is None or caches_off():
            return None
        key = secret()
        if key is None:
            return None
        store = cls(root, key, _base(config))
        loaded = store.shards.read()
        if loaded is not None and isinstance(loaded[0], str):
            try:
                parts = loaded[1]
                table = DigestTable.joined(parts[number] for number in sorted(parts))
            except (KeyError, TypeError, ValueError):  # columns of another shape: read every file
                return store
            store.parts, store.table = parts, table
            store.previous_generation = store.generation = loaded[0]
        return store

    def update(self, entries: Iterable[Entry], config: Config,
               stamps: Mapping[str, tuple[int, int]] | None = None) -> None:
        """Keep the digests of these entries (all of the folder's: files not among them are forgotten) and write
        the shards holding any that changed. `stamps` are the files' (size, mtime_ns) as loading found them before
        reading them (a file not in it is not kept); without them each file is looked at now."""
        from auditor.sources.safe_files import plain_file_info

        top = os.path.abspath(self.root)
        table = self.table
        found: list[tuple[Entry, tuple[int, int], int | None]] = []  # (entry, its file's stamp, its row kept)
        racy = self.started_ns - RACY_SECONDS * 1e9
        row_of, sizes, mtimes = table.row_of, table.sizes, table.mtimes
        for entry in entries:
            if stamps is not None:
                stamp = stamps.get(entry.path)
            else:
                info = plain_file_info(top, entry.path)
                stamp = (info.st_size, info.st_mtime_ns) if info is not None else None
            if stamp is None or stamp[1] > racy:  # modified within RACY_SECONDS of the run: not kept
                continue
            kept = row_of.get(entry.path)
            if kept is not None and (sizes[kept] != stamp[0] or mtimes[kept] != stamp[1]):
                kept = None
            found.append((entry, stamp, kept))
        kept_rows = {kept for _entry, _stamp, kept in found if kept is not None}
        if len(kept_rows) == len(found) == len(table) or not self.folder.parent.is_dir():
            return  # an unchanged folder: the shards already say all this
        paths = table.column("path")
        dropped = [number for number in range(len(table)) if number not in kept_rows]
        if len(dropped) > REPLACED_MAX:
            self.replaced = None
        else:
            self.replaced = {paths[number]: table.row(number) for number in dropped}
        dirty = {shard_of(paths[number]) for number in dropped}
        dirty.update(shard_of(entry.path) for entry, _stamp, kept in found if kept is None)
        maker = DigestMaker(config)
        rows: dict[int, list[tuple[int, int, EntryDigest]]] = {number: [] for number in dirty}
        chosen = [(number, entry, stamp, kept) for entry, stamp, kept in found
                  if (number := shard_of(entry.path)) in rows]
        for name in ("kind", "category", "dated", "shape", "group"):  # values shared in a shard, shared again
            column = table.column(name)
            for _number, _entry, _stamp, kept in chosen:
                if kept is not None:
                    maker.share(column[kept])
        for number, entry, stamp, kept in chosen:
            rows[number].append((*stamp, table.row(kept) if kept is not None else maker.of(entry)))
        parts = dict(self.parts)
        for number, shard in rows.items():
            if shard:
                parts[number] = DigestTable.of(shard).kept()
            else:
                parts.pop(number, None)
        self.parts, self.table = parts, DigestTable.joined(parts[number] for number in sorted(parts))
        self.generation = None
        generation = os.urandom(16).hex()
        written = {number: parts.get(number) for number in dirty}
        try:
            self.shards.write(generation, written)
        except OSError:  # a folder that cannot be written: `check` reads every file next time
            return
        (self.root / ".auditor" / LEGACY_FILE).unlink(missing_ok=True)
        self.generation = generation


def keep_digests(root: Path | None, entries: list[Entry], config: Config, create: bool = True,
                 stamps: Mapping[str, tuple[int, int]] | None = None) -> DigestStore | None:
    """After a full read of a content folder (one file per entry): keep the entries' digests for `check`. Without
    `create`, only digests kept already are brought up to date: digesting every entry costs a first audit of
    50,000 entries some seconds, so the first `check` that reads the whole folder makes them instead. `stamps`:
    the files' sizes and times as the source found them before reading (FolderSource.stamps), or None.
    Returns the digests as this run left them (what the entry cache and the rules that look across entries read
    of the unchanged entries), or None when none are kept."""
    if root is None or not (root / ".auditor").is_dir():
        return None
    if any(entry.twin_path or entry.lines is not None or entry.source_format for entry in entries):
        return None  # not a content folder read one file per entry: `check` reads it whole
    store = DigestStore.open(root, config)
    if store is not None and (create or len(store.table)):
        store.update(entries, config, stamps)
        return store
    return None


__all__ = ["DigestMaker", "DigestStore", "DigestTable", "EntryDigest", "EntryRef", "OtherDigests", "category_of",
           "dated_of", "keep_digests"]
