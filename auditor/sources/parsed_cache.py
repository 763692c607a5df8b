"""Parsed entries kept between runs: a content-folder file whose size and modification time have not changed since
it was read is not read and parsed again (parsing is most of the time an unchanged 50 000-entry directory takes).

Beside the directory's store, in `.auditor/parsed/`, written only when that folder exists (an audit with the
default store makes it; `check` in a fresh checkout writes nothing):

- `index.bin`: for every file, its size, modification time and the entry's light fields (LIGHT: id, path, kind,
  title, summary, dates, related ids, links, problems ...);
- `NN.bin`, `SHARDS` of them split by path: every entry whole, so a run that changed a few files rewrites a few.

Each file is a pickle preceded by a keyed hash (BLAKE2b) of its bytes under this user's secret
(auditor/cache_key.py): one committed into a directory or edited by anyone else is ignored, never unpickled. The
key also holds the auditor's code and version, the kinds and the size limit entries are read with, and the markers
of archival copies, so any change to them starts afresh. A file modified within `RACY_SECONDS` of the run is read
but not kept: a second edit in the same clock tick, of the same size, would otherwise go unseen (git's "racily
clean" files). A cache that cannot be read or written is ignored, and `--no-cache` does not use it.

A `check` of a few files takes the other entries as LazyEntry: their light fields from the index, the rest (front
matter, body, sections) loaded from the shards the first time a rule reads it, so a rule that looks another entry
up by id costs that entry alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.cache_key import code_digest, secret
from auditor.models import Entry
from auditor.sources.safe_files import plain_file_info

FOLDER = "parsed"
SHARDS = 32
FORMAT = 2
RACY_SECONDS = 2.0
_MAC_BYTES = 32
_INDEX = "index.bin"

# Every field of Entry with a plain default must be here: a LazyEntry without it would read the class's default.
# Fields built by a factory and left out (HEAVY) are what LazyEntry loads when first read.
LIGHT = ("id", "path", "kind", "title", "summary", "updated", "reviewed", "published", "owner", "related", "links",
         "body_start", "ignore", "problems", "content_hash", "source_format", "category", "twin_path", "for_model",
         "body_repeats_summary", "lines", "last_changed", "last_changed_by", "last_changed_ref")
HEAVY = frozenset(name for name in Entry.__dataclass_fields__ if name not in LIGHT)
Stamp = tuple[int, int]  # (size, mtime_ns)


class LazyEntry(Entry):
    """An entry of an unchanged file with its light fields set; the others load whole the first time one is read."""

    def __getattr__(self, name: str) -> Any:  # only called for what the instance lacks: the HEAVY fields
        load = self.__dict__.pop("_load", None) if name in HEAVY else None
        if load is None:
            raise AttributeError(name)
        full = load()
        for key in HEAVY:  # light fields stay as they are now (a duplicate id may have been marked since)
            self.__dict__.setdefault(key, getattr(full, key))
        return self.__dict__[name]

    def __reduce__(self) -> Any:  # a worker or a cache gets a plain, whole Entry
        for name in HEAVY:
            getattr(self, name)
        return Entry, (), {key: value for key, value in self.__dict__.items() if not key.startswith("_")}


class ParsedCache:
    """One run's view of the parsed-entry cache of a directory: what can be taken from it, and what to write back."""

    def __init__(self, root: Path, folder: Path, key: bytes, base: bytes) -> None:
        self.root, self.folder, self.key, self.base = root, folder, key, base
        self._top = os.path.abspath(root)
        self._index: dict[str, tuple[int, int, tuple[Any, ...]]] | None = None
        self._shards: dict[int, dict[str, bytes]] = {}
        self._dirty: set[int] = set()
        self._index_dirty = False
        self._seen: set[str] = set()
        self._stamps: dict[str, Stamp | None] = {}  # taken before reading: a later edit is a later mtime
        self.hits = 0
        self.lazy = 0
        self.started_ns = time.time_ns()

    @classmethod
    def open(cls, root: Path, kinds: tuple[str, ...], max_bytes: int, pack: dict[str, Any]) -> ParsedCache | None:
        """The cache of the content folder at `root`, or None when none can be kept (no secret)."""
        key = secret()
        if key is None:
            return None
        basis = json.dumps([FORMAT, code_digest(), list(kinds), max_bytes, pack.get("skipped_files")],
                           sort_keys=True, default=str)
        return cls(root, root / ".auditor" / FOLDER, key, hashlib.sha256(basis.encode()).digest())

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2b(self.base + payload, key=self.key, digest_size=_MAC_BYTES).digest()

    def _read(self, name: str) -> dict[str, Any]:
        try:
            data = (self.folder / name).read_bytes()
            if len(data) > _MAC_BYTES and data[:_MAC_BYTES] == self._mac(data[_MAC_BYTES:]):
                loaded = pickle.loads(data[_MAC_BYTES:])  # noqa: S301 - signed by this user's key, checked above
                if isinstance(loaded, dict):
                    return loaded
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            pass
        return {}

    def _write(self, name: str, content: dict[str, Any]) -> None:
        payload = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
        target = self.folder / name
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(self._mac(payload) + payload)
        os.replace(temporary, target)

    @property
    def index(self) -> dict[str, tuple[int, int, tuple[Any, ...]]]:
        if self._index is None:
            self._index = self._read(_INDEX)
        return self._index

    def _shard(self, rel: str) -> tuple[int, dict[str, bytes]]:
        number = zlib.crc32(rel.encode("utf-8")) % SHARDS
        shard = self._shards.get(number)
        if shard is None:
            shard = self._shards[number] = self._read(f"{number:02d}.bin")
        return number, shard

    def _stamp(self, rel: str) -> Stamp | None:
        """(size, mtime_ns) of a regular file inside the root that nothing stands in for, else None."""
        info = plain_file_info(self._top, rel)
        return (info.st_size, info.st_mtime_ns) if info is not None else None

    def unchanged(self, rel: str) -> bool:
        """Whether this file is kept as it is now (so what was found in it then still holds)."""
        stamp = self._stamps[rel] = self._stamp(rel)  # what `get` and `put` use: one stat per file
        kept = self.index.get(rel) if stamp is not None else None
        return kept is not None and (kept[0], kept[1]) == stamp

    def _whole(self, rel: str) -> Entry | None:
        blob = self._shard(rel)[1].get(rel)
        if blob is None:
            return None
        try:
            entry = pickle.loads(blob)  # noqa: S301 - its shard's signature was checked when it was read
        except Exception:  # noqa: BLE001 - a record that no longer unpickles (a changed model) is read afresh
            return None
        return entry if isinstance(entry, Entry) else None

    def get(self, rel: str) -> Entry | None:
        """The entry read from this file on an earlier run, whole, when the file has not changed since."""
        self._seen.add(rel)
        if not (self.unchanged(rel) if rel not in self._stamps else self._kept_as(rel)):
            return None
        entry = self._whole(rel)
        self.hits += entry is not None
        return entry

    def get_lazy(self, rel: str, read: Callable[[], Entry]) -> Entry | None:
        """The entry of this unchanged file with its light fields only; the rest loads when first read (from the
        cache, or with `read` when the cache no longer has it: the file is as it was)."""
        self._seen.add(rel)
        if not (self.unchanged(rel) if rel not in self._stamps else self._kept_as(rel)):
            return None
        entry = LazyEntry.__new__(LazyEntry)
        entry.__dict__.update(zip(LIGHT, self.index[rel][2], strict=True))
        entry.__dict__["_load"] = lambda: self._whole(rel) or read()
        self.lazy += 1
        return entry

    def _kept_as(self, rel: str) -> bool:
        stamp, kept = self._stamps.get(rel), self.index.get(rel)
        return stamp is not None and kept is not None and (kept[0], kept[1]) == stamp

    def put(self, rel: str, entry: Entry) -> None:
        """Keep the entry just read from this file (before anything else changes it), unless the file is too new.
        The file's size and time are those taken before it was read."""
        stamp = self._stamps.get(rel)
        number, shard = self._shard(rel)
        # A file that could not be read may become readable with its time unchanged (its mode or owner changed).
        unread = any(problem.kind == "unreadable" for problem in entry.problems)
        if stamp is None or unread or self.started_ns - stamp[1] < RACY_SECONDS * 1e9:
            if self.index.pop(rel, None) is not None:
                self._index_dirty = True
            return
        shard[rel] = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        self.index[rel] = (stamp[0], stamp[1], tuple(getattr(entry, name) for name in LIGHT))
        self._dirty.add(number)
        self._index_dirty = True

    def save(self, complete: bool) -> None:
        """Write what changed. With `complete` (every file of the folder was asked for), files that are gone are
        dropped too."""
        if complete:
            gone = [rel for rel in self.index if rel not in self._seen]
            for rel in gone:
                del self.index[rel]
                number, shard = self._shard(rel)
                if shard.pop(rel, None) is not None:
                    self._dirty.add(number)
            self._index_dirty = self._index_dirty or bool(gone)
        if not (self._dirty or self._index_dirty) or not self.folder.parent.is_dir():
            return
        try:
            self.folder.mkdir(exist_ok=True)
            for number in sorted(self._dirty):
                self._write(f"{number:02d}.bin", self._shards[number])
            if self._index_dirty:
                self._write(_INDEX, self.index)  # last: it never names an entry a shard was not written for
        except OSError:  # a folder that cannot be written: the next run reads the files again
            pass
        self._dirty.clear()
        self._index_dirty = False


__all__ = ["FOLDER", "HEAVY", "LIGHT", "LazyEntry", "ParsedCache"]
