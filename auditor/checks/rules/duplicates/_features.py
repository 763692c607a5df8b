"""What the duplicate index reads of one entry, reduced to stable hashes: kept per entry between runs
(auditor/checks/digests.py), so that `check` of a few entries finds their duplicate candidates without reading
every other entry. Each value mirrors one part of `_index.DuplicateIndex` (same thresholds, same text)."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from array import array
from typing import Any, NamedTuple

from auditor.checks.similarity import UrlNormalizer, normalize_text, normalize_title, shingles
from auditor.models import Entry

UNREADABLE = {"empty", "unreadable"}
NONE = 0  # a stable hash stands for "no value" as 0 (a real one is 0 once in 2**64)


def twin_key(name: str) -> str:
    """A name without case, `_`, `-`, spaces and dots: `zoho_mail-automation` and `Zoho Mail Automation` agree."""
    return re.sub(r"[\s_.\-]+", "", name.lower())


def stable_hash(value: str) -> int:
    """A 64-bit hash that is the same in every process (Python's own `hash` of a string is not); never 0."""
    found = int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
    return found or 1


def _packed(values: list[int] | set[int]) -> bytes:
    return array("Q", sorted(values)).tobytes()


class DuplicateFeatures(NamedTuple):
    """Packed, so that 50,000 of them load in a blink: `keys` holds five 64-bit hashes (0: none)."""

    group: str | None  # the kind, or the file type for entries of no kind: parts other than `exact` pair within it
    keys: bytes  # whole text, summary, body, title, name (see KEYS)
    summary: bytes  # the summary's shingles (packed 64-bit hashes); empty when it is too short to compare
    body: bytes  # each sampled body line
    urls: tuple[str, ...]  # normalised addresses of the URL fields

    def summary_features(self) -> array:
        return array("Q", self.summary)

    def body_features(self) -> array:
        return array("Q", self.body)


# The values entries are paired on when equal: `exact` (title, summary and body together, which the exact part
# groups by title and then by text), `summary`, `body` (its sampled lines), `title` and `twin` (the name); 0 when
# the text is too short to compare or there is no line.
KEYS = ("exact", "summary", "body", "title", "twin")


class FeatureMaker:
    """Features of entries under one rule pack's `duplicates` settings."""

    def __init__(self, settings: dict[str, Any]) -> None:
        def section(name: str) -> dict[str, Any]:
            return settings.get(name) or {}

        self.exact_min_words = int(section("exact").get("min_words", 10))
        self.summary_min_words = int(section("summary").get("min_words", 10))
        self.shingle_words = int(section("summary").get("shingle_words", 2))
        blocking = section("blocking")
        self.line_min_chars = int(blocking.get("line_min_chars", 20))
        self.line_sample = max(1, int(blocking.get("line_sample", 1)))
        self.line_keep_all = int(blocking.get("line_keep_all", 12))
        title = section("title")
        self.title_ignore = {word.lower() for word in title.get("ignore_words", ["the", "a", "an"]) or []}
        self.title_min_chars = int(title.get("min_chars", 3))
        url = section("url")
        self.url_fields = list(url.get("fields", ["homepage", "repo"]) or [])
        self.url_ignore = list(url.get("ignore", []) or [])
        self.normalize_url = UrlNormalizer(url.get("tracking_params", ["utm_*"]) or [],
                                           url.get("case_insensitive_hosts", []) or [])

    def summary_shingles(self, summary: str) -> list[tuple[str, ...]] | None:
        """The summary's word runs, as the summary part blocks on them; None when it is too short to compare."""
        tokens = summary.split()
        if len(tokens) < self.summary_min_words:
            return None
        size = self.shingle_words
        if len(tokens) >= size:
            return list(zip(*(tokens[i:] for i in range(size)), strict=False))
        return list(shingles(tokens, size))

    def body_lines(self, entry: Entry) -> tuple[str, ...]:
        """The body lines the body part blocks on (long enough, sampled by content in long bodies)."""
        lines = [line for line in entry.body_lines if len(line) >= self.line_min_chars]
        if self.line_sample > 1 and len(lines) > self.line_keep_all:
            lines = [line for line in lines if len(line) % self.line_sample == 0] or lines
        return tuple(lines)

    def of(self, entry: Entry, group: str | None) -> DuplicateFeatures | None:
        """The entry's features; None for an entry the index leaves out (empty or unreadable)."""
        if any(p.kind in UNREADABLE for p in entry.problems):
            return None
        head, summary_text = normalize_text(entry.title), normalize_text(entry.summary)
        text = "\n".join([head, summary_text, normalize_text("\n".join(entry.body_lines))])
        exact_text = stable_hash(text) if len(text.split()) >= self.exact_min_words else NONE
        runs = self.summary_shingles(summary_text)
        summary = NONE if runs is None else stable_hash(summary_text)
        lines = self.body_lines(entry)
        title_text = normalize_title(entry.title, self.title_ignore)
        title = NONE
        if len(title_text) >= self.title_min_chars:
            title = stable_hash(f"{entry.category}\x1f{title_text}" if entry.source_format == "awesome" else title_text)
        urls: list[str] = []
        for key in self.url_fields:
            address = self.normalize_url(entry.links.get(key))
            if address and address not in urls and not any(fnmatch.fnmatchcase(address, g) for g in self.url_ignore):
                urls.append(address)
        keys = array("Q", [exact_text, summary, stable_hash("\n".join(lines)) if lines else NONE,
                           title, stable_hash(twin_key(entry.id.rsplit("/", 1)[-1]))]).tobytes()
        return DuplicateFeatures(
            group, keys, _packed({stable_hash(" ".join(run)) for run in runs}) if runs is not None else b"",
            _packed({stable_hash(line) for line in lines}), tuple(urls))
