"""A signed cache kept as shards: values split by path into `SHARDS` files, so that a run that changed a few entries
rewrites a few files, not tens of megabytes (the digests, auditor/checks/digests.py; the entry cache,
auditor/checks/cache.py).

A folder holds one index file, `index.bin`, and the shard files it names. Each shard file is named by its number
and the token of the run that wrote it (`07-<token>.bin`), and is signed (auditor/cache_key.py) with the base, its
number and that token: a file cannot stand in for another. A run writes its new shards under new names, then the
index naming them (through a rename: readers see the old index or the new one), then removes the files the index no
longer names. A run killed midway leaves the previous index and every file it names: the cache as the previous run
left it, never a mix. A shard the index names that is missing or does not verify makes the whole cache unreadable
(`read` returns None): a reader never works from part of it.
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.cache_key import _UNREADABLE, read_signed, read_signed_bytes, write_signed, write_signed_bytes
from auditor.heap import collector_paused

SHARDS = 256
INDEX = "index.bin"


def shard_of(path: str) -> int:
    return zlib.crc32(path.encode("utf-8")) % SHARDS


def _shard_base(base: bytes, number: int, token: str) -> bytes:
    return base + f"\x1f{number}\x1f{token}".encode()


class Sharded:
    """The shards of one folder under one key and base. `tokens` maps each shard written to the token of the run
    that wrote it (a shard not named holds nothing); `meta` is what the index holds beside them."""

    def __init__(self, folder: Path, key: bytes, base: bytes) -> None:
        self.folder, self.key, self.base = folder, key, base
        self.tokens: dict[int, str] = {}

    @property
    def index_path(self) -> Path:
        return self.folder / INDEX

    def _file(self, number: int, token: str) -> Path:
        return self.folder / f"{number:02x}-{token}.bin"

    def read(self) -> tuple[Any, dict[int, Any]] | None:
        """(the index's `meta`, shard number -> value) as the last complete write left them; None when there is
        no index, or it or any shard it names is missing or does not verify."""
        index = read_signed(self.index_path, self.key, self.base)
        if not (isinstance(index, tuple) and len(index) == 2 and isinstance(index[1], dict)):
            return None
        meta, tokens = index
        values: dict[int, Any] = {}
        with collector_paused():  # many small objects and no cycles
            for number, token in tokens.items():
                if not (isinstance(number, int) and 0 <= number < SHARDS and isinstance(token, str)):
                    return None
                payload = read_signed_bytes(self._file(number, token), self.key, _shard_base(self.base, number, token))
                if payload is None:
                    return None
                try:
                    values[number] = pickle.loads(payload)  # noqa: S301 - signed by this user's key
                except _UNREADABLE:
                    return None
        self.tokens = dict(tokens)
        return meta, values

    def write(self, meta: Any, changed: dict[int, Any | None]) -> None:
        """Write the `changed` shards (number -> value; None: the shard is empty now, no file) under a new token,
        then the index, then remove the files no longer named. Raises OSError when the folder cannot be written (the
        index on disk is then the previous one, naming files still there)."""
        self.folder.mkdir(exist_ok=True)
        token = os.urandom(8).hex()
        tokens = dict(self.tokens)
        with collector_paused():
            for number, value in sorted(changed.items()):
                if value is None:
                    tokens.pop(number, None)
                    continue
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                write_signed_bytes(self._file(number, token), self.key, _shard_base(self.base, number, token), payload)
                tokens[number] = token
        write_signed(self.index_path, self.key, self.base, (meta, tokens))
        self.tokens = tokens
        self._sweep(tokens)

    def _sweep(self, tokens: dict[int, str]) -> None:
        """Remove the shard files the index does not name (replaced ones, and those of a run killed midway)."""
        named = {f"{number:02x}-{token}.bin" for number, token in tokens.items()}
        try:
            names: Iterable[str] = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.endswith(".bin") and name != INDEX and name not in named:
                try:
                    os.unlink(self.folder / name)
                except OSError:
                    pass


__all__ = ["INDEX", "SHARDS", "Sharded", "shard_of"]
