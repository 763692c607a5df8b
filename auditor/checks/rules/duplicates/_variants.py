"""Pairs of entries that repeat each other by design, not by mistake: never reported as duplicates.

- a "Latest additions" block at the top of a list, repeating entries listed below under their own headings;
- two lists: entries of awesome-list files kept in different folders (each folder's README is its own list), or
  in files tagged with different revisions (`README@e21dbea7.md` is the list as it was, not a second copy);
- translations: paths that differ only by a locale folder (`docs/ja-jp/guide.md`, `docs/guide.md`);
- parallel tracks: the same file name in sibling folders (`workshops/cli/0-prerequisites.md`,
  `workshops/vscode/0-prerequisites.md`, `cookbook/python/retry.md`, `cookbook/go/retry.md`);
- the same recipe per programming language: texts that differ by the language each one names ("(JS version)",
  "(Python version)") and link different projects.

The locale codes and language names are in rules/duplicates.yml (`variants`).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.models import Entry

_REVISION = re.compile(r"@([^/]+?)(?:\.[a-z]+)?$", re.IGNORECASE)
_REGION_LOCALE = re.compile(r"^[a-z]{2,3}[-_][a-z]{2,4}$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9#+]+")
# File names that name nothing (the folder does): `skills/<name>/SKILL.md`, `mcp/<name>/index.html`, a site's
# `/mcp/<name>/` (its last part empty).
_GENERIC_STEMS = {"", "skill", "readme", "index", "_index", "page", "default", "plugin", "home", "main"}


class Variants:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.locales = {str(code).lower() for code in settings.get("locales") or []}
        self.languages = {str(name).lower() for name in settings.get("languages") or []}
        self.latest = [str(name).lower() for name in settings.get("latest_sections") or []]
        self.reasons: dict[str, int] = {}

    def in_latest(self, entry: Entry) -> bool:
        """Whether a list entry sits under a "Latest additions" heading, which repeats entries listed below."""
        category = (entry.category or "").lower()
        return any(category == name or category.startswith(name + " /") for name in self.latest)

    def is_locale(self, segment: str) -> bool:
        segment = segment.lower()
        return segment in self.locales or bool(_REGION_LOCALE.match(segment))

    @staticmethod
    def list_of(entry: Entry) -> tuple[str, str]:
        """(folder, revision tag) of an awesome-list entry's file: entries of one list share both."""
        name = posixpath.basename(entry.path)
        tag = _REVISION.search(name)
        return posixpath.dirname(entry.path), tag.group(1).split("_", 1)[0].lower() if tag else ""

    def why_apart(self, first: Entry, second: Entry) -> str | None:
        """Why two entries repeat each other by design, or None when they may be duplicates."""
        if first.source_format == "awesome" and second.source_format == "awesome":
            if self.list_of(first) != self.list_of(second):
                return "two lists"
            if first.path == second.path and (self.in_latest(first) or self.in_latest(second)):
                return "latest additions"
        first_parts, second_parts = first.path.split("/"), second.path.split("/")
        first_bare = [p for p in first_parts[:-1] if not self.is_locale(p)] + first_parts[-1:]
        second_bare = [p for p in second_parts[:-1] if not self.is_locale(p)] + second_parts[-1:]
        if first_parts != second_parts and first_bare == second_bare:
            return "translation"
        if (len(first_parts) == len(second_parts) >= 3 and first_parts[-1] == second_parts[-1]
                and first_parts[-1].lower().split(".", 1)[0] not in _GENERIC_STEMS
                and sum(a != b for a, b in zip(first_parts, second_parts, strict=True)) == 1):
            return "parallel track"
        if self.languages and self._link(first) != self._link(second):  # one project in two languages is one project
            first_words, second_words = self._words(first), self._words(second)
            if (first_words - second_words) & self.languages and (second_words - first_words) & self.languages:
                return "language variant"
        return None

    @staticmethod
    def _link(entry: Entry) -> str:
        link = entry.links.get("repo") or entry.links.get("homepage") or ""
        return link.lower().rstrip("/").removesuffix(".git").split("://", 1)[-1].removeprefix("www.")

    def _words(self, entry: Entry) -> set[str]:
        text = " ".join([entry.title or "", entry.summary or "", entry.path.replace("/", " ")]).lower()
        return set(_WORD.findall(text))

    def count(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


__all__ = ["Variants"]
