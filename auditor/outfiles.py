"""Writing the files a command leaves behind (the report, exports, `--out`), and saying plainly when that fails.

A folder the auditor may not write to, a path that runs through a file, or a full disk is not a bug: the command
stops with one line naming the path, what went wrong and what to do (exit 3), never a traceback, and never a
half-written file or a `.tmp` left behind.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

_WHY = {
    errno.EACCES: "permission denied", errno.EPERM: "not permitted (a read-only or immutable folder)",
    errno.EROFS: "the file system is read-only", errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up", errno.EFBIG: "the file would be larger than allowed",
    errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EISDIR: "it is a folder",
    errno.ENOENT: "the folder does not exist", errno.ENAMETOOLONG: "the name is too long",
}


class WriteError(Exception):
    """A file or folder the command needed could not be written. `str()` is the whole one-line message."""

    def __init__(self, path: Path | str, error: OSError, advice: str) -> None:
        self.path, self.error, self.advice = Path(path), error, advice
        super().__init__(f"cannot write {self.path}: {why_not_written(error)}; {advice}")


def why_not_written(error: OSError) -> str:
    """A short reason for an OSError raised while writing."""
    return _WHY.get(error.errno or 0) or error.strerror or str(error)


def write_output(path: Path, text: str, advice: str) -> None:
    """Write `text` to `path` whole or not at all: into a temporary file beside it, then renamed over it, so a
    reader never sees half a file (a device, a pipe or a symbolic link is written into instead). On failure the
    temporary file is removed and WriteError (with `advice`: what the reader should do) is raised."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(path.parent, exc, advice) from None
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # /dev/stdout, a named pipe, a link the user keeps: written into, never renamed over
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise WriteError(path, exc, advice) from None
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise WriteError(path, exc, advice) from None


def write_folders(root: Path, names: tuple[str, ...], pages: Iterable[tuple[str, str]], advice: str) -> None:
    """Replace the folders `root`/<name> whole with `pages` ((path under root, text), each path in one of them): the
    pages go into a staging folder beside them with plain writes, then each folder is swapped in by a rename, so a
    reader never sees a half-written page or a folder mixing two runs' pages, and thousands of pages cost one write
    each (not a temporary file and a rename each). On failure nothing is swapped, the staging folder is removed and
    WriteError names `root`."""
    staging = root / f".pages.{os.getpid()}.new"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for name in names:
            (staging / name).mkdir(parents=True)
        for rel, text in pages:
            if rel.split("/", 1)[0] not in names:
                raise ValueError(f"{rel} is not in one of the folders {names}")
            with open(staging / rel, "w", encoding="utf-8") as handle:
                handle.write(text)
        for name in names:
            final, old = root / name, root / f".{name}.{os.getpid()}.old"
            if final.is_dir() and not final.is_symlink():
                os.replace(final, old)
            elif final.exists() or final.is_symlink():
                final.unlink()
            os.replace(staging / name, final)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise WriteError(root, exc, advice) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
