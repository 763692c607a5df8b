"""One file's text replaced for the length of a check: `auditor check --stdin --stdin-filename PATH` (editors send
the unsaved buffer; the rest of the directory is read from disk).

Readers open the directory's files through auditor/sources/safe_files.py, which answers from its `OVERLAID` table
for that one path, whichever format reads it; anything else that opens it through `pathlib.Path.open` gets the same
text. The file on disk is never written.
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

    from auditor.sources import safe_files

    Path.open = open_overlaid  # type: ignore[method-assign]
    safe_files.OVERLAID[target] = data
    try:
        yield
    finally:
        Path.open = real_open  # type: ignore[method-assign]
        safe_files.OVERLAID.pop(target, None)
