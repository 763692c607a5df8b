"""Parsed entries kept between runs: a content-folder file whose size and modification time have not changed since it
was read is not read and parsed again (parsing is most of the time an unchanged 50 000-entry directory takes).

Beside the directory's store, in `.auditor/parsed/`, written only when that folder exists (an audit with the default
store makes it; `check` in a fresh checkout writes nothing). The entries are split into `SHARDS` files by path, so a
run that changed a few files rewrites a few shards. Each shard is one mapping `path -> (size, mtime_ns, entry)`, the
entries written as tuples of plain values (auditor/sources/parsed_codec.py: marshal's format, read back much faster
than pickle's), preceded by a keyed hash (HMAC-SHA256) of its bytes under this user's secret (auditor/cache_key.py):
a shard committed into a directory or edited by anyone else is not decoded, only ignored. The key also holds the
auditor's code and version, the kinds and the size limit entries are read with, and the markers of archival copies,
so any change to them starts afresh. A file modified within `RACY_SECONDS` of the run is read but not kept: a second
edit in the same clock tick, of the same size, would otherwise go unseen (git's "racily clean" files). A cache that
cannot be read or written is ignored, and `--no-cache` (or AUDITOR_NO_CACHE=1) does not use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from auditor.cache_key import RACY_SECONDS, caches_off, code_digest, read_signed_bytes, secret, write_signed_bytes
from auditor.heap import collector_paused, settle
from auditor.models import Entry
from auditor.sharded import SHARDS, shard_of
from auditor.sources.parsed_codec import decode_shard, encode_shard
from auditor.sources.safe_files import plain_file_info

FOLDER = "parsed"
# Split as the other signed caches are (auditor/sharded.py: SHARDS, shard_of). Ten edited files rewrite at most ten
# shards: 2,000 of 50,000 entries at 256 shards, 15,600 at 32 (0.6 CPU s more for the audit after the edits); reading
# 256 files instead of 32 costs nothing measurable.
FORMAT = 3  # 2: entries as marshalled tuples (parsed_codec.py); 3: their bodies packed apart
_UNSEEN = object()  # `unchanged` without the file's status: it takes it


class ParsedCache:
    """One run's view of the parsed-entry cache of a directory: what can be taken from it, and what to write back."""

    def __init__(self, root: Path, folder: Path, key: bytes, base: bytes) -> None:
        self.root, self.folder, self.key, self.base = root, folder, key, base
        self._top = os.path.abspath(root)
        self._shards: dict[int, dict[str, tuple[int, int, Entry]]] = {}
        self._dirty: set[int] = set()
        self._seen: set[str] = set()
        self._stamps: dict[str, tuple[int, int] | None] = {}  # taken before reading: a later edit is a later mtime
        self.hits = 0
        self.started_ns = time.time_ns()

    @classmethod
    def open(cls, root: Path, kinds: tuple[str, ...], max_bytes: int, pack: dict[str, Any]) -> ParsedCache | None:
        """The cache of the content folder at `root`, or None when none can be kept (no secret)."""
        key = secret()
        if key is None or caches_off():
            return None
        basis = json.dumps([FORMAT, code_digest(), list(kinds), max_bytes, pack.get("skipped_files")],
                           sort_keys=True, default=str)
        return cls(root, root / ".auditor" / FOLDER, key, hashlib.sha256(basis.encode()).digest())

    def _file(self, number: int) -> Path:
        return self.folder / f"{number:02d}.bin"

    def _shard(self, number: int) -> dict[str, tuple[int, int, Entry]]:
        shard = self._shards.get(number)
        if shard is None:
            shard = {}
            payload = read_signed_bytes(self._file(number), self.key, self.base)
            loaded = decode_shard(payload) if payload is not None else None
            if loaded is not None:
                settle(len(loaded) * SHARDS)  # entries live for the run (load_files freezes those it reads)
                shard = loaded
            self._shards[number] = shard
        return shard

    def read_all(self) -> None:
        """Read every shard now, for a run that asks for every file of the folder: a thread reads the files and
        checks their signatures (hashing lets go of the interpreter's lock: on two cores it runs beside the decoding)
        while this one decodes them, with no collection in between, and what they hold is frozen once."""
        from concurrent.futures import ThreadPoolExecutor

        wanted = [number for number in range(SHARDS) if number not in self._shards]
        count = 0
        with ThreadPoolExecutor(max_workers=1) as pool, collector_paused():
            payloads = pool.map(lambda number: read_signed_bytes(self._file(number), self.key, self.base), wanted)
            for number, payload in zip(wanted, payloads, strict=True):
                loaded = decode_shard(payload) if payload is not None else None
                self._shards[number] = loaded if loaded is not None else {}
                count += len(loaded or ())
        settle(count)  # entries live for the run (load_files freezes those it reads)

    def _stamp(self, rel: str) -> tuple[int, int] | None:
        """(size, mtime_ns) of a regular file inside the root that nothing stands in for, else None."""
        info = plain_file_info(self._top, rel)
        return (info.st_size, info.st_mtime_ns) if info is not None else None

    def get(self, rel: str) -> Entry | None:
        """The entry read from this file on an earlier run, when the file has not changed since."""
        self._seen.add(rel)
        stamp = self._stamps[rel] if rel in self._stamps else self._stamp(rel)
        self._stamps[rel] = stamp
        if stamp is None:
            return None
        kept = self._shard(shard_of(rel)).get(rel)
        if kept is None or (kept[0], kept[1]) != stamp or not isinstance(kept[2], Entry):
            return None
        self.hits += 1
        return kept[2]

    def unchanged(self, rel: str, info: os.stat_result | None | object = _UNSEEN) -> bool:
        """Whether this file is kept as it is now (so what was found in it then still holds). `info` is its status
        as the folder's walk found it (auditor/sources/folder.py: iter_entry_stats, None when it is not a plain
        file), when known: no second `stat`."""
        if info is _UNSEEN:
            stamp = self._stamp(rel)
        else:
            stamp = (info.st_size, info.st_mtime_ns) if isinstance(info, os.stat_result) else None
        self._stamps[rel] = stamp  # `get` takes it from here: one stat per file
        kept = self._shard(shard_of(rel)).get(rel) if stamp is not None else None
        return kept is not None and (kept[0], kept[1]) == stamp

    def put(self, rel: str, entry: Entry) -> None:
        """Keep the entry just read from this file (before anything else changes it), unless the file is too new.
        The file's size and time are those `get` saw before it was read."""
        stamp = self._stamps.get(rel)
        number = shard_of(rel)
        shard = self._shard(number)
        # A file that could not be read may become readable with its time unchanged (its mode or owner changed).
        unread = any(problem.kind == "unreadable" for problem in entry.problems)
        if stamp is None or unread or self.started_ns - stamp[1] < RACY_SECONDS * 1e9:
            if shard.pop(rel, None) is not None:
                self._dirty.add(number)
            return
        shard[rel] = (stamp[0], stamp[1], entry)
        self._dirty.add(number)

    def save(self, complete: bool) -> None:
        """Write the shards that changed, before anything changes the entries read (a shard is written whole: a
        string many of its entries hold is written once). With `complete` (every file of the folder was asked
        for), files that are gone are dropped too."""
        if complete:
            for number in range(SHARDS):
                shard = self._shard(number)
                gone = [rel for rel in shard if rel not in self._seen]
                for rel in gone:
                    del shard[rel]
                if gone:
                    self._dirty.add(number)
        if not self._dirty or not self.folder.parent.is_dir():
            return
        try:
            self.folder.mkdir(exist_ok=True)
            for number in sorted(self._dirty):
                write_signed_bytes(self._file(number), self.key, self.base,
                                   encode_shard(self._shards[number]))
        except OSError:  # a folder that cannot be written: the next run reads the files again
            pass
        self._dirty.clear()


__all__ = ["FOLDER", "ParsedCache"]
