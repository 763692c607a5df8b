"""One file's text replaced for the length of a check: `auditor check --stdin --stdin-filename PATH` (editors send
the unsaved buffer; the rest of the directory is read from disk).

Every reader opens the directory's files through auditor/sources/safe_files.py, which answers from its `OVERLAID`
table for that one path, whichever format reads it. The file on disk is never written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from auditor.sources import safe_files


@contextlib.contextmanager
def text_in_place_of(path: Path, data: bytes) -> Iterator[None]:
    """While inside, reading `path` (however it is spelled) through the safe opener gives `data` instead."""
    target = os.path.realpath(path)
    safe_files.OVERLAID[target] = data
    try:
        yield
    finally:
        safe_files.OVERLAID.pop(target, None)
