"""Format detection, kept between runs: `.auditor/detected.bin` holds what `detect` answered and what the answer
rested on, so a run in an unchanged directory does not walk and open its files a second time only to learn that
it is still a content folder (a fifth of a one-file `check` in a 50,000-entry folder).

Detection looks at two things: which files and folders there are, and the bytes of the files it opened. The
first is vouched for by every folder's modification time (adding, removing or renaming anything in a folder
changes it), the second by each opened file's size and modification time. The answer is reused only when all of
them are as they were, and only under the same code, settings and rule packs; it is not kept when any of them
changed within `RACY_SECONDS` of the run (a second change in the same clock tick would go unseen), nor while an
editor's unsaved text stands in for a file (`--stdin`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from auditor.cache_key import RACY_SECONDS, caches_off, code_digest, read_signed, secret, write_signed
from auditor.config import Config
from auditor.sources.safe_files import OVERLAID

FILE_NAME = "detected.bin"


def _base(root: Path, config: Config) -> bytes:
    basis = {"code": code_digest(), "settings": config.settings, "pack": config.pack, "root": str(root),
             "source": str(config.source) if config.source is not None else None}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).digest()


def _stamps(root: Path, folders: list[str], files: list[str]) -> tuple[list[int], list[tuple[int, int]]] | None:
    """(each folder's modification time, each file's size and modification time); None when one is gone."""
    try:
        folder_times = [os.lstat(root / rel if rel else root).st_mtime_ns for rel in folders]
        file_stamps = []
        for rel in files:
            info = os.stat(root / rel)
            file_stamps.append((info.st_size, info.st_mtime_ns))
    except OSError:
        return None
    return folder_times, file_stamps


def detected_formats(root: Path, config: Config, use_cache: bool = True) -> list[str]:
    """What `detect` says of the directory at `root`: kept from an earlier run when nothing it rested on changed."""
    from auditor.sources.detect import detect_with_evidence

    key = None if not use_cache or caches_off() or OVERLAID else secret()
    path = root / ".auditor" / FILE_NAME
    if key is None or not path.parent.is_dir():
        return detect_with_evidence(root, config)[0]
    base = _base(root, config)
    kept = read_signed(path, key, base)
    if isinstance(kept, tuple) and len(kept) == 4:
        formats, folders, files, stamps = kept
        if _stamps(root, folders, files) == stamps:
            return list(formats)
    started_ns = time.time_ns()
    formats, ctx = detect_with_evidence(root, config)
    folders, files = sorted(ctx.index.dirs), sorted(ctx.opened)
    stamps = _stamps(root, folders, files)
    if stamps is None:
        return formats
    newest = max([*stamps[0], *(mtime for _size, mtime in stamps[1])], default=0)
    if started_ns - newest >= RACY_SECONDS * 1e9:
        try:
            write_signed(path, key, base, (formats, folders, files, stamps))
        except OSError:  # a folder that cannot be written: detect again next time
            pass
    return formats


__all__ = ["detected_formats"]
