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


def _reason(root: Path, path: Path, markers: tuple[tuple[re.Pattern[str], str], ...], lines: int,
            words: tuple[bytes, ...]) -> str | None:
    try:  # only a regular file inside the root: a pipe would block, a link out of the root is the reader's to refuse
        raw = read_bytes(root, path, 400 * lines)
    except OSError:  # Refused included: an unreadable or unsafe file is the reader's to report
        return None
    lowered = raw.lower()
    if not any(word in lowered for word in words):
        return None  # nearly every file: no regular expression runs
    head = "\n".join(raw.decode("utf-8", "replace").splitlines()[:lines])
    for pattern, reason in markers:
        if pattern.search(head):
            return reason
    return None


def drop_marked(root: Path, rels: list[str], pack: dict[str, Any]) -> tuple[list[str], list[Skipped]]:
    """The files that are not marked, and the marked ones with their reasons."""
    data = pack.get("skipped_files") or {}
    spec = tuple((str(m["pattern"]), str(m["reason"])) for m in data.get("markers") or [])
    if not spec:
        return list(rels), []
    markers, lines = _markers(spec), int(data.get("lines", 5))
    words = tuple(str(word).lower().encode() for word in data.get("words") or [])
    kept: list[str] = []
    skipped: list[Skipped] = []
    for rel in rels:
        reason = _reason(root, root / rel, markers, lines, words)
        if reason is None:
            kept.append(rel)
        else:
            skipped.append((rel, reason))
    return kept, skipped
