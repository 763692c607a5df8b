"""The "did you mean" id for a missing one, from an index of the directory's ids built once per run.

`AuditContext.closest_id` answers: among the known ids whose length can reach the rapidfuzz ratio cutoff, ranked
by ratio (then in the order the candidates were listed), the first of the five best that is not the entry itself
and is close enough to be a typo (auditor.suggestions.close_enough). Scoring every missing id against every id
grows with missing ids x ids; this index gives the same answer while scoring only the ids that can matter.

A close-enough id is at most `max_edits` edits from the wanted one (lower-cased), and an edit destroys at most
three of its trigrams, so it shares at least `distinct trigrams - 3 x max_edits` of them, and so holds two of
any `3 x max_edits + 2` of them: the postings of the rarest find every such id (and its length is within
`max_edits` of the wanted one's). Of the ids found, the
best-ranked close-enough one is the answer if fewer than five ids rank above it; those are bounded the same
way (a ratio of r leaves at most (1 - r) x (both lengths) insertions and deletions). When a bound says nothing
(short ids, a large `max_edits`) the full scan runs, as before.
"""

from __future__ import annotations

import math
from array import array
from itertools import compress
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from auditor.suggestions import DEFAULTS, close_enough

Q = 3  # trigrams
TOP = 5  # the old scan looked at the five best-scored candidates
_NONE = array("l")


def _plain(name: str) -> bool:
    """True when close_enough's path normalising leaves `name` as it is (lower case aside)."""
    return name == name.strip() and all(part not in ("", ".", "..") for part in name.split("/"))


def _grams(text: str) -> set[str]:
    return {text[i:i + Q] for i in range(len(text) - Q + 1)}


class IdIndex:
    """Trigram postings over the known ids (lower-cased), with each id's place in the old candidate order."""

    def __init__(self, ids: list[str], postings: bool = True) -> None:
        """Without `postings` (a few ids to look up: `check` of a few files), every answer comes from `scan`."""
        self.ids = ids
        self.lowered = [known.lower() for known in ids]
        self.lengths = array("l", map(len, ids))
        # Lower-casing keeps every id's length (it does not for a few letters, as the dotted capital I)
        self.same_lengths = self.lengths == array("l", map(len, self.lowered))
        self.by_length: dict[int, list[str]] = {}
        for known in ids:
            self.by_length.setdefault(len(known), []).append(known)
        group = {length: rank for rank, length in enumerate(self.by_length)}
        # The old scan listed candidates length group by length group (in order of first appearance), each group
        # in the directory's order: ties in score are broken by that place.
        self.place: dict[str, tuple[int, int]] = {known: (group[len(known)], i) for i, known in enumerate(ids)}
        self.odd: list[int] = []  # ids close_enough would normalise (slashes, dots): always looked at
        self.postings: dict[str, array] | None = None
        if not postings:
            return
        holders: dict[str, list[int]] = {}
        for i, known in enumerate(ids):
            if not _plain(known):
                self.odd.append(i)
            for gram in _grams(self.lowered[i]):
                holders.setdefault(gram, []).append(i)
        # Arrays, not lists of ints: forked workers read them without touching (and so copying) an object each.
        self.postings = {gram: array("l", found) for gram, found in holders.items()}

    def _band(self, wanted: str, cutoff: float) -> tuple[float, float]:
        share = cutoff / 100
        return len(wanted) * share / (2 - share), len(wanted) * (2 - share) / share

    def scan(self, wanted: str, besides: str, cutoff: float, settings: dict[str, Any] | None) -> str | None:
        """The old answer: the five best-scored ids of a reachable length, the first close enough."""
        low, high = self._band(wanted, cutoff)
        candidates = [known for length, ids in self.by_length.items() if low <= length <= high for known in ids]
        for match, _score, _index in process.extract(wanted, candidates, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                     limit=TOP):
            if match != besides and close_enough(wanted, match, settings):
                return match
        return None

    def closest(self, wanted: str, besides: str, cutoff: float, settings: dict[str, Any] | None) -> str | None:
        """The same answer as scan(), from the postings."""
        edits = int({**DEFAULTS, **(settings or {})}["max_edits"])
        lowered = wanted.lower()
        grams = _grams(lowered)
        if self.postings is None or not _plain(wanted) or len(grams) - Q * edits <= 0:
            return self.scan(wanted, besides, cutoff, settings)
        # Rarest first: an id sharing at least `needed` of the G trigrams holds one of any G - needed + 1 of them.
        postings = sorted((self.postings.get(gram, _NONE) for gram in grams), key=len)
        low, high = self._band(wanted, cutoff)
        best: tuple[float, tuple[int, int], str] | None = None
        # Scored in rapidfuzz's loop: only the few within `edits` of the wanted id are looked at here.
        shortest, longest = low, high
        if self.same_lengths and len(lowered) == len(wanted):  # within `edits` edits: a length within `edits`
            shortest, longest = max(low, len(wanted) - edits), min(high, len(wanted) + edits)
        near = self._reachable(self._sharing(postings, len(grams) - Q * edits), shortest, longest)
        for _lowered, _distance, at in process.extract(lowered, list(map(self.lowered.__getitem__, near)),
                                                       scorer=Levenshtein.distance, score_cutoff=edits, limit=None):
            known = self.ids[near[at]]
            if known == besides:
                continue
            score = fuzz.ratio(wanted, known, score_cutoff=cutoff)
            if score < cutoff or not close_enough(wanted, known, settings):
                continue
            ranked = (-score, self.place[known], known)
            if best is None or ranked < best:
                best = ranked
        if best is None:
            return None
        best_score, best_place, match = -best[0], best[1], best[2]
        # Ids ranked above it: a ratio of at least best_score leaves at most `most` insertions and deletions.
        most = int((1 - best_score / 100) * (len(wanted) + high) + 1e-9)
        needed = len(grams) - Q * most
        if needed <= 0:
            return self.scan(wanted, besides, cutoff, settings)
        rivals = self._reachable(self._sharing(postings, needed), low, high)
        above = 0
        for known, score, _at in process.extract(wanted, list(map(self.ids.__getitem__, rivals)),
                                                 scorer=fuzz.ratio, score_cutoff=best_score, limit=None):
            if known != match and (score > best_score or self.place[known] < best_place):
                above += 1
        return match if above < TOP else None

    def _reachable(self, found: set[int], low: float, high: float) -> list[int]:
        # At C speed (map, compress): the ids found grow with the directory when its names share many trigrams.
        lengths = set(range(math.ceil(low), math.floor(high) + 1))
        return list(compress(found, map(lengths.__contains__, map(self.lengths.__getitem__, found))))

    def _sharing(self, postings: list[array], needed: int) -> set[int]:  # only with postings
        """The ids that may share `needed` of the trigrams whose postings are given, rarest first (a superset).
        Such an id misses at most `len(postings) - needed` of them, so it is in two of any one more than that: the
        ids in two of the rarest `len(postings) - needed + 2` (in one of them when there are no more). On ids built
        from a small vocabulary even the rarest trigrams are held by thousands of ids, most of them by only one."""
        missed = len(postings) - needed
        rarest = postings[:missed + 2]
        if len(rarest) < missed + 2:
            return set(self.odd).union(*rarest)
        seen: set[int] = set()
        twice = set(self.odd)
        for ids in rarest:  # at C speed: each array is walked by the set methods
            twice.update(seen.intersection(ids))
            seen.update(ids)
        return twice


__all__ = ["IdIndex"]
