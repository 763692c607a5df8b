"""Files marked as archival snapshots or generated copies (`rules/skipped_files.yml`): left out of the entries,
and named with why, so the run summary can say what was not read."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.sources.safe_files import read_bytes

Skipped = tuple[str, str]  # (path relative to the root, why it was not read)


@lru_cache(maxsize=4)
def _markers(spec: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.MULTILINE), reason) for pattern, reason in spec)


def marked_reason(root: Path, path: Path, pack: dict[str, Any]) -> str | None:
    """Why this file is not an entry (its first lines carry a marker), or None. Only a regular file inside the
    root is opened (a pipe would block, a link out of the root is the reader's to refuse and report)."""
    data = pack.get("skipped_files") or {}
    spec = tuple((str(m["pattern"]), str(m["reason"])) for m in data.get("markers") or [])
    if not spec:
        return None
    lines = int(data.get("lines", 5))
    try:
        head = read_bytes(root, path, 400 * lines).decode("utf-8", "replace")
    except OSError:  # Refused included: an unreadable or unsafe file is the reader's to report
        return None
    head = "\n".join(head.splitlines()[:lines])
    for pattern, reason in _markers(spec):
        if pattern.search(head):
            return reason
    return None


def drop_marked(root: Path, rels: list[str], pack: dict[str, Any]) -> tuple[list[str], list[Skipped]]:
    """The files that are not marked, and the marked ones with their reasons."""
    kept: list[str] = []
    skipped: list[Skipped] = []
    for rel in rels:
        reason = marked_reason(root, root / rel, pack)
        if reason is None:
            kept.append(rel)
        else:
            skipped.append((rel, reason))
    return kept, skipped
