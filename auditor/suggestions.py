"""Whether an existing name or path is close enough to a missing one to be suggested as what the writer meant.

A "did you mean" fix must be right or absent. The thresholds (rules/suggestions.yml) accept a typo, one or two
characters off in one part of a path, and refuse a neighbour that merely shares a long common part
(`hubspot-automation` is not `spotify-automation`), another file type (`scripts/a.ps1` is not
`references/a.md`) or another folder (`extensions/board/` is not `skills/board/`).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_DIGITS = re.compile(r"\d+")
DEFAULTS: dict[str, Any] = {"max_edits": 2, "min_similarity": 85, "same_digits": True}


def _parts(path: str) -> list[str]:
    parts: list[str] = []
    for part in path.strip().strip("/").split("/"):
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        elif part and part != ".":
            parts.append(part.lower())
    return parts


def typo_of(wanted: str, candidate: str, settings: dict[str, Any] | None = None) -> bool:
    """True when the name `wanted` reads as a typo of `candidate` (same file suffix, few edits, same digits)."""
    config = {**DEFAULTS, **(settings or {})}
    first, second = wanted.lower(), candidate.lower()
    if first == second:
        return True
    first_stem, first_ext = posixpath.splitext(first)
    second_stem, second_ext = posixpath.splitext(second)
    if first_ext != second_ext:
        return False
    if config.get("same_digits", True) and _DIGITS.findall(first_stem) != _DIGITS.findall(second_stem):
        return False
    return (Levenshtein.distance(first_stem, second_stem) <= int(config["max_edits"])
            and fuzz.ratio(first_stem, second_stem) >= float(config["min_similarity"]))


def close_enough(wanted: str, candidate: str, settings: dict[str, Any] | None = None) -> bool:
    """True when the path (or id) `candidate` differs from `wanted` in one part only, and there as a typo does."""
    first, second = _parts(wanted), _parts(candidate)
    if not first or len(first) != len(second):
        return False
    differing = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    return len(differing) <= 1 and all(typo_of(a, b, settings) for a, b in differing)


__all__ = ["DEFAULTS", "close_enough", "typo_of"]
