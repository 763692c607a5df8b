"""Opening the directory's files safely: contributors write them, so a file is read only when it is a regular file
inside the directory root once symbolic links are resolved, and never more than `max_entry_bytes` of it.

A symbolic link to a file inside the root is followed; one that leads outside (`/proc/self/environ`), a link loop,
a named pipe (reading one blocks forever), a socket or a device is refused with the reason, never opened.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from auditor.models import LoadProblem

DEFAULT_MAX_ENTRY_BYTES = 1_000_000


class Refused(OSError):
    """A file the auditor will not open; the message says why (it is a symlink leading outside the root ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EPERM, reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:  # keyed by the absolute path: a relative one means another folder after a chdir
    return os.path.realpath(root)


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:  # one realpath per folder, not per file: the folders of one run do not move
    return os.path.realpath(folder)


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def _not_regular(mode: int) -> str | None:
    for test, what in _NOT_REGULAR:
        if test(mode):
            return f"it is {what}, not a regular file"
    return None if stat.S_ISREG(mode) else "it is not a regular file"


def resolve(root: Path, path: Path) -> str:
    """The real path of a file that is safe to open, or Refused saying why not. `root` None: any place is fine
    (a file named on the command line), but it must still be a regular file."""
    link = None
    try:
        info = os.lstat(path)
        if not stat.S_ISLNK(info.st_mode):  # the common case: the folder's real path (cached) and the file's name
            folder, name = os.path.split(os.path.abspath(path))
            real = os.path.join(_real_folder(folder), name)
            if root is not None and not _inside(real, _real_root(os.path.abspath(root))):
                raise Refused("it is inside a folder that is a symbolic link leading outside the directory")
            reason = _not_regular(info.st_mode)
            if reason:
                raise Refused(reason)
            return real
        link = os.readlink(path)
        real = os.path.realpath(path, strict=True)
    except Refused:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("it is a symbolic link loop") from None
        if link is not None:
            raise Refused(f"it is a symbolic link to a file that does not exist ({link})") from None
        raise
    if root is not None and not _inside(real, _real_root(os.path.abspath(root))):
        where = f" (to {link})" if link is not None else ""
        raise Refused(f"it is a symbolic link leading outside the directory{where}")
    reason = _not_regular(os.stat(real).st_mode)
    if reason:
        raise Refused(reason)
    return real


# Text standing in for a file, by real path: `auditor check --stdin` (auditor/sources/overlay.py).
OVERLAID: dict[str, bytes] = {}


def plain_file_info(root: str, rel: str) -> os.stat_result | None:
    """The status of `root/rel` (`root` an absolute path) when it is a regular file, not a symbolic link, in a
    folder inside the root, and nothing stands in for its text (OVERLAID); else None. The common case of
    `resolve`, without pathlib: one lstat per file, for telling which files changed since an earlier run."""
    full = f"{root}{os.sep}{rel}"
    try:
        info = os.lstat(full)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    folder, name = os.path.split(full)
    real_folder = _real_folder(folder)
    if not _inside(real_folder, _real_root(root)):
        return None
    if OVERLAID and os.path.join(real_folder, name) in OVERLAID:
        return None
    return info


@dataclass
class Read:
    """What was read of a file: at most the limit, cut after the last whole line; `size` is the file's size."""

    data: bytes
    size: int

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)


def read_capped(root: Path | None, path: Path, limit: int | None = None) -> Read:
    """The bytes of a regular file inside root (Refused otherwise), at most `limit` of them."""
    real = resolve(root, path)
    if real in OVERLAID:
        data = OVERLAID[real]
        return Read(data[:limit] if limit else data, len(data))
    # O_NONBLOCK: should the file have been swapped for a pipe since it was checked, opening it does not block;
    # O_NOFOLLOW: nor for a symbolic link.
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        reason = _not_regular(info.st_mode)
        if reason:
            raise Refused(reason)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1) if limit else handle.read()
    finally:
        os.close(fd)
    size = max(info.st_size, len(data))
    if limit and len(data) > limit:
        cut = data.rfind(b"\n", 0, limit)
        data = data[: cut + 1] if cut >= 0 else data[:limit]
        size = max(size, limit + 1)
    return Read(data, size)


def read_bytes(root: Path | None, path: Path, limit: int | None = None) -> bytes:
    return read_capped(root, path, limit).data


def read_text(root: Path | None, path: Path, limit: int | None = None) -> str:
    return read_bytes(root, path, limit).decode("utf-8")


def refused_problem(exc: Refused) -> LoadProblem:
    return refused_problem_for(exc.reason)


def refused_problem_for(reason: str) -> LoadProblem:
    return LoadProblem("unreadable", f"the file is not read: {reason}", 1)


def too_large_problem(read: Read, limit: int) -> LoadProblem:
    return LoadProblem("too-large", f"the file is {read.size:,} bytes, over max_entry_bytes ({limit:,}): only its "
                       f"first {len(read.data):,} bytes are read", 1)


def max_entry_bytes(settings: dict) -> int:
    return int(settings.get("max_entry_bytes") or DEFAULT_MAX_ENTRY_BYTES)
