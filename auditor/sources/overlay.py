"""One file's text replaced for the length of a check: `auditor check --stdin --stdin-filename PATH` (editors send
the unsaved buffer; the rest of the directory is read from disk).

Every reader opens files through `pathlib.Path.open` (`read_text` and `read_bytes` go through it too), so the
overlay answers there, for that one path, whichever format reads it. The file on disk is never written.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def text_in_place_of(path: Path, data: bytes) -> Iterator[None]:
    """While inside, opening `path` (however it is spelled) reads `data` instead of the file."""
    target = os.path.realpath(path)
    name = os.path.basename(target)
    real_open = Path.open

    def open_overlaid(self: Path, mode: str = "r", buffering: int = -1, encoding: str | None = None,
                      errors: str | None = None, newline: str | None = None) -> IO[Any]:
        if self.name == name and "r" in mode and "+" not in mode and os.path.realpath(self) == target:
            raw = io.BytesIO(data)
            if "b" in mode:
                return raw
            return io.TextIOWrapper(raw, encoding=encoding or "utf-8", errors=errors, newline=newline)
        return real_open(self, mode, buffering, encoding, errors, newline)

    Path.open = open_overlaid  # type: ignore[method-assign]
    try:
        yield
    finally:
        Path.open = real_open  # type: ignore[method-assign]
