"""The work the duplicate rules share: one pass over all entries per run, cached on the audit context.

Entries are put in a stable order, by path without `.md` (so `tools/vectorvault` comes before
`tools/vectorvault-cloud`). Every duplicate pair is reported once, on the later entry of the pair,
naming the earlier one; the finding's key is the other entry's id, so its fingerprint stays put
across runs. Each part (exact, summaries, bodies, titles, URLs) is computed the first time a rule
asks for it, so a disabled rule costs nothing. Thresholds come from `rules/duplicates.yml`.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, ClassVar

from rapidfuzz import fuzz

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.duplicates._features import UNREADABLE, stable_hash, twin_key
from auditor.checks.rules.duplicates._variants import Variants
from auditor.checks.similarity import (
    RareFeatureBlocker,
    UrlNormalizer,
    normalize_text,
    normalize_title,
    shingles,
)
from auditor.heap import collector_paused
from auditor.models import Entry, Finding

# (part, group) -> feature -> how many entries of the directory hold it
KnownCounts = dict[tuple[str, str | None], dict[Hashable, int]]


@dataclass
class Match:
    """The earlier entry of a duplicate pair, as seen from the later one."""

    other: Entry
    score: float = 100.0  # similarity 0-100
    detail: str = ""  # shown in the finding's evidence
    data: dict[str, str] = field(default_factory=dict)


def order_key(entry: Entry) -> tuple[str, ...]:
    path = entry.path[:-3] if entry.path.endswith(".md") else entry.path
    return tuple(path.split("/"))


def clip(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class DuplicateIndex:
    def __init__(self, ctx: AuditContext, entries: list[Entry] | None = None,
                 known: KnownCounts | None = None, reporters: list[Entry] | None = None) -> None:
        """The index of `entries` (default: all of the context's). With `known`, those entries are a few targets
        and their candidates (auditor/checks/rules/duplicates/_query.py), and `known` holds what only the whole
        directory can count: how many entries hold each feature the pairs are made on. Pairs are found for the
        `reporters` (default: the context's targets, or every entry)."""
        self.ctx = ctx
        self.settings: dict[str, Any] = ctx.pack.get("duplicates") or {}
        self.entries = sorted(
            (e for e in (ctx.entries if entries is None else entries)
             if not any(p.kind in UNREADABLE for p in e.problems)), key=order_key)
        self.known = known
        # Features are hashed stably when counts kept between runs are looked up by them.
        self.run_hash: Callable[[tuple[str, ...]], int] = hash if known is None else (
            lambda run: stable_hash(" ".join(run)))
        self.line_hash: Callable[[str], Hashable] = (lambda line: line) if known is None else stable_hash
        self.position = {id(entry): number for number, entry in enumerate(self.entries)}
        targets = getattr(ctx, "targets", None) if reporters is None else reporters
        self.reporters = None if targets is None else {self.position[id(e)] for e in targets if id(e) in self.position}
        blocking = self.section("blocking")
        self.max_df = int(blocking.get("max_df", 5))
        self.min_shared = int(blocking.get("min_shared", 2))
        self.max_per_entry = int(self.settings.get("max_per_entry", 3))
        self.stats: dict[str, int] = {}
        self.candidates: dict[str, set[tuple[int, int]]] = {}  # part -> (earlier, later) pairs that were scored
        self._parts: dict[str, dict[int, list[Match]]] = {}
        self._exact_pairs: set[tuple[int, int]] = set()
        self._summaries: list[str] | None = None
        self.variants = Variants(self.section("variants"))
        self._url_of: UrlNormalizer | None = None

    @classmethod
    def of(cls, ctx: AuditContext) -> DuplicateIndex:
        index = getattr(ctx, "_duplicate_index", None)
        if index is None:
            if ctx.others:  # a few entries judged against digests of the rest: an index of them and their candidates
                from auditor.checks.rules.duplicates._query import targets_and_candidates

                entries, known = targets_and_candidates(ctx)
                index = cls(ctx, entries, known)
            else:
                index = cls.of_audit(ctx)
            ctx._duplicate_index = index  # type: ignore[attr-defined]
        return index

    @classmethod
    def of_audit(cls, ctx: AuditContext) -> DuplicateIndex:
        """In an audit whose entry cache gave the duplicate findings of most entries: an index of the others (those
        a change touched, auditor/checks/cache.py) and their candidates, found through the digests; else of all."""
        targets = ctx.targets if ctx.targets is not None else ctx.entries
        codes = {code for code in ctx.active_codes if code.startswith("DUP")}
        if not ctx.reused or not codes:
            return cls(ctx)
        needed = [entry for entry in (targets if ctx.rechecked is None else ctx.rechecked)
                  if not codes <= ctx.reused.get(entry.path, frozenset())]
        if len(needed) == len(targets):
            return cls(ctx)
        from auditor.checks.rules.duplicates._query import candidates_in_audit

        found = candidates_in_audit(ctx, needed)
        if found is None:
            return cls(ctx, reporters=needed)
        return cls(ctx, found[0], found[1], reporters=needed)

    def section(self, name: str) -> dict[str, Any]:
        return self.settings.get(name) or {}

    def matches(self, part: str, entry: Entry) -> list[Match]:
        found = self.part(part)
        number = self.position.get(id(entry))
        return found.get(number, []) if number is not None else []

    def part(self, part: str) -> dict[int, list[Match]]:
        if part not in self._parts:
            if part != "exact":
                self.part("exact")  # its pairs are left out of every other part
            # The parts build millions of small tuples and sets and no reference cycles; with 50,000 entries
            # loaded, each full garbage collection they would trigger walks the whole heap (seconds each).
            with collector_paused():
                self._parts[part] = getattr(self, f"_find_{part}")()
        return self._parts[part]

    # --- helpers ------------------------------------------------------------------------------------

    def by_kind(self) -> dict[str | None, list[int]]:
        groups: dict[str | None, list[int]] = {}
        for number, entry in enumerate(self.entries):
            # Entries of no kind are grouped by the format they were read in and the type their file name gives
            # (`x.agent.md`, `x.instructions.md`): a plugin manifest and the agent it bundles, or one mode shipped
            # as an agent and as instructions, share a name and a description by design.
            groups.setdefault(entry.kind or self.file_type(entry), []).append(number)
        return groups

    @staticmethod
    def file_type(entry: Entry) -> str | None:
        parts = entry.path.rsplit("/", 1)[-1].split(".")
        kind = parts[-2].lower() if len(parts) >= 3 else ""
        return f"{entry.source_format or ''}.{kind}" if entry.source_format or kind else None

    def known_counts(self, part: str, members: list[int]) -> dict[Hashable, int] | None:
        """For an index of a few entries: how many entries of the whole directory, in the members' group, hold each
        feature of that part (None: the index holds every entry, its own counts are the counts)."""
        if self.known is None or not members:
            return None
        entry = self.entries[members[0]]
        return self.known.get((part, entry.kind or self.file_type(entry)), {})

    def count(self, name: str, value: int) -> None:
        self.stats[name] = self.stats.get(name, 0) + value

    def wanted(self, later: int) -> bool:
        return self.reporters is None or later in self.reporters

    def summaries(self) -> list[str]:
        if self._summaries is None:
            self._summaries = [normalize_text(entry.summary) for entry in self.entries]
        return self._summaries

    def collect(self, pairs: Iterable[tuple[int, int, float, str, dict[str, str]]]) -> dict[int, list[Match]]:
        """(earlier, later, score, detail, data) -> later's matches, best first, one per other id, capped."""
        found: dict[int, list[Match]] = {}
        for earlier, later, score, detail, data in pairs:
            if self.same_id(self.entries[earlier], self.entries[later]):
                continue  # two files with one id: STR005 reports that pair
            apart = self.variants.why_apart(self.entries[earlier], self.entries[later])
            if apart:  # two lists, a translation, a parallel track, one recipe per language: repeated by design
                self.variants.count(apart)
                continue
            found.setdefault(later, []).append(Match(self.entries[earlier], score, detail, data))
        for later, matches in found.items():
            matches.sort(key=lambda m: (-m.score, order_key(m.other)))
            seen: set[str] = set()
            unique = [m for m in matches if not (m.other.id in seen or seen.add(m.other.id))]
            found[later] = unique[: self.max_per_entry]
            if len(unique) > self.max_per_entry:
                found[later][-1].detail += f" (and {len(unique) - self.max_per_entry} more)"
        return found

    @staticmethod
    def same_id(first: Entry, second: Entry) -> bool:
        """Whether two entries came from files with one id (the source reads the second as `id@path`)."""
        return (first.id == second.id or second.id == f"{first.id}@{second.path}"
                or first.id == f"{second.id}@{first.path}")

    def differ_by_name(self, first: int, second: int, first_text: str, second_text: str) -> bool:
        """True when two similar texts differ where their titles differ: one template filled in for two subjects.

        "MCP server for Google Ads data" and "MCP server for Facebook Ads data" under the titles Google Ads and
        Facebook Ads are two servers described alike, not one listed twice. Without a title, the id stands in.
        """
        first_title = set(normalize_title((self.entries[first].title or self.entries[first].id).replace("_", " ")).split())
        second_title = set(normalize_title((self.entries[second].title or self.entries[second].id).replace("_", " ")).split())
        # A title word counts in its own text as it is or as a possessive ("Pago's" reads `pagos`), and where the
        # other text mentions it too ("converts PDF ... unlike a .pdf"), when its own text says it at least twice as often.
        first_words, second_words = Counter(first_text.split()), Counter(second_text.split())

        def says_more(word: str, mine: Counter[str], theirs: Counter[str]) -> bool:
            return any(mine[form] > theirs[form] and mine[form] >= 2 * theirs[form] for form in (word, word + "s"))

        return (any(says_more(word, first_words, second_words) for word in first_title - second_title)
                or any(says_more(word, second_words, first_words) for word in second_title - first_title))

    def group_pairs(self, groups: Iterable[list[int]]) -> Iterable[tuple[int, int]]:
        """For groups of equal things: each later member paired with the first few members."""
        for members in groups:
            if len(members) < 2:
                continue
            for offset, later in enumerate(members[1:], start=1):
                for earlier in members[: min(offset, self.max_per_entry)]:
                    yield earlier, later

    # --- the parts ----------------------------------------------------------------------------------

    def _find_exact(self) -> dict[int, list[Match]]:
        min_words = int(self.section("exact").get("min_words", 10))
        heads: dict[str, list[int]] = {}  # equal titles first: only those can be equal in full
        for number, entry in enumerate(self.entries):
            heads.setdefault(normalize_text(entry.title), []).append(number)
        pairs = []
        for members in heads.values():
            if len(members) < 2:
                continue
            same: dict[bytes, list[int]] = {}
            for number in members:
                entry = self.entries[number]
                text = "\n".join([normalize_text(entry.title), normalize_text(entry.summary),
                                  normalize_text("\n".join(entry.body_lines))])
                if len(text.split()) >= min_words:
                    same.setdefault(hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest(), []).append(number)
            for group in same.values():
                self._exact_pairs.update(combinations(group, 2))
                pairs += [(group[0], later, 100.0, "", {}) for later in group[1:] if self.wanted(later)]
        self.stats["exact_pairs"] = len(self._exact_pairs)
        return self.collect(pairs)

    def _find_summary(self) -> dict[int, list[Match]]:
        config = self.section("summary")
        threshold = float(config.get("similarity", 90))
        min_words = int(config.get("min_words", 10))
        size = int(config.get("shingle_words", 2))
        summaries = self.summaries()
        candidates: set[tuple[int, int]] = set()
        for members in self.by_kind().values():
            blocker = RareFeatureBlocker(self.max_df, self.min_shared, self.known_counts("summary", members))
            numbers: list[int] = []
            same: dict[str, list[int]] = {}
            for number in members:
                tokens = summaries[number].split()
                if len(tokens) >= min_words:
                    numbers.append(number)
                    runs = (zip(*(tokens[i:] for i in range(size)), strict=False) if len(tokens) >= size
                            else shingles(tokens, size))
                    blocker.add(map(self.run_hash, runs))  # ints count faster than word tuples
                    same.setdefault(summaries[number], []).append(number)
            candidates.update((numbers[i], numbers[j]) for i, j in blocker.pairs())
            self.count("summary_rare_features", blocker.rare_features)
            self.count("summary_shared_pairs", blocker.shared_pairs)
            candidates.update(self.group_pairs(same.values()))
        self.stats["summary_candidates"] = len(candidates)
        self.candidates["summary"] = candidates
        pairs = []
        for earlier, later in candidates:
            if (earlier, later) in self._exact_pairs or not self.wanted(later):
                continue
            score = fuzz.ratio(summaries[earlier], summaries[later], score_cutoff=threshold)
            if score and not self.differ_by_name(earlier, later, summaries[earlier], summaries[later]):
                pairs.append((earlier, later, round(score), "", {}))
        self.stats["summary_pairs"] = len(pairs)
        return self.collect(pairs)

    def _find_body(self) -> dict[int, list[Match]]:
        config = self.section("body")
        threshold = float(config.get("similarity", 90))
        min_words = int(config.get("min_words", 60))
        blocking = self.section("blocking")
        min_chars = int(blocking.get("line_min_chars", 20))
        sample = max(1, int(blocking.get("line_sample", 1)))
        keep_all = int(blocking.get("line_keep_all", 12))
        candidates: set[tuple[int, int]] = set()
        for members in self.by_kind().values():
            blocker = RareFeatureBlocker(self.max_df, self.min_shared, self.known_counts("body", members))
            same: dict[int, list[int]] = {}  # bodies whose sampled lines are equal (verified by the score below)
            for number in members:
                lines = [line for line in self.entries[number].body_lines if len(line) >= min_chars]
                if sample > 1 and len(lines) > keep_all:  # a sample picked by content: copies pick the same lines
                    lines = [line for line in lines if len(line) % sample == 0] or lines
                features = tuple(map(self.line_hash, lines))
                blocker.add(features)
                if features:
                    same.setdefault(hash(features), []).append(number)
            candidates.update((members[i], members[j]) for i, j in blocker.pairs())
            self.count("body_rare_features", blocker.rare_features)
            self.count("body_shared_pairs", blocker.shared_pairs)
            candidates.update(self.group_pairs(same.values()))
        self.stats["body_candidates"] = len(candidates)
        self.candidates["body"] = candidates
        bodies: dict[int, str] = {}

        def body(number: int) -> str:
            if number not in bodies:
                text = normalize_text("\n".join(self.entries[number].body_lines))
                bodies[number] = text if text.count(" ") + 1 >= min_words else ""
            return bodies[number]

        pairs = []
        for earlier, later in sorted(candidates):
            if (earlier, later) in self._exact_pairs or not self.wanted(later):
                continue
            first, second = body(earlier), body(later)
            if not first or not second:
                continue
            score = fuzz.ratio(first, second, score_cutoff=threshold)
            if score and not self.differ_by_name(earlier, later, first, second):
                shared = set(self.entries[earlier].body_lines) & set(self.entries[later].body_lines)
                total = sum(1 for line in self.entries[later].body_lines if line.strip())
                same_lines = sum(1 for line in shared if line.strip())
                pairs.append((earlier, later, round(score),
                              f"{same_lines} of its {total} non-blank lines are identical", {}))
        self.stats["body_pairs"] = len(pairs)
        return self.collect(pairs)

    def _find_title(self) -> dict[int, list[Match]]:
        config = self.section("title")
        ignore = {word.lower() for word in config.get("ignore_words", ["the", "a", "an"]) or []}
        min_chars = int(config.get("min_chars", 3))
        pairs = []
        for members in self.by_kind().values():
            same: dict[str, list[int]] = {}
            for number in members:
                entry = self.entries[number]
                title = normalize_title(entry.title, ignore)
                if len(title) >= min_chars:
                    # In an awesome list a generic name ("Education", "Tips") recurs under many headings: there a
                    # title is a duplicate only under the same heading (a real repeat shares its URL: DUP005).
                    key = f"{entry.category}\x1f{title}" if entry.source_format == "awesome" else title
                    same.setdefault(key, []).append(number)
            pairs += [(earlier, later, 100.0, "", {}) for earlier, later in self.group_pairs(same.values())
                      if (earlier, later) not in self._exact_pairs and self.wanted(later)
                      and not self.named_alike(earlier, later)]
        return self.collect(pairs)

    def named_alike(self, earlier: int, later: int) -> bool:
        """Two awesome-list bullets with one name that link repositories of different owners: several servers are
        called "Discord" or "Notion", each by its own author; the list tells them apart by link and description."""
        first, second = self.entries[earlier], self.entries[later]
        if first.source_format != "awesome" or second.source_format != "awesome":
            return False
        self.link_of(first)  # builds the normaliser
        first_owner = self.repo_owner(first.links.get("repo") or first.links.get("homepage"))
        second_owner = self.repo_owner(second.links.get("repo") or second.links.get("homepage"))
        return bool(first_owner and second_owner and first_owner != second_owner)

    def link_of(self, entry: Entry) -> str | None:
        """The entry's normalised repository or homepage address, if it has one."""
        if self._url_of is None:
            config = self.section("url")
            self._url_of = UrlNormalizer(config.get("tracking_params", ["utm_*"]) or [],
                                         config.get("case_insensitive_hosts", []) or [])
        return self._url_of(entry.links.get("repo") or entry.links.get("homepage")) or None

    def repo_owner(self, url: str | None) -> str | None:
        """`github.com/hanweg` for a repository on a code host (`url.case_insensitive_hosts`), else None."""
        address = self._url_of(url) if self._url_of is not None else None
        if not address:
            return None
        host, _, path = address.partition("/")
        owner = path.split("/", 1)[0]
        hosts = self.section("url").get("case_insensitive_hosts") or []
        return f"{host}/{owner}" if host in hosts and owner else None

    def _find_twin(self) -> dict[int, list[Match]]:
        """Entries whose names differ only by `_`, `-`, spaces or case, with titles that differ the same way."""
        pairs = []
        for members in self.by_kind().values():
            same: dict[str, list[int]] = {}
            for number in members:
                entry = self.entries[number]
                same.setdefault(twin_key(entry.id.rsplit("/", 1)[-1]), []).append(number)
            for earlier, later in self.group_pairs(same.values()):
                first, second = self.entries[earlier], self.entries[later]
                if ((earlier, later) in self._exact_pairs or not self.wanted(later)
                        or first.id.rsplit("/", 1)[-1] == second.id.rsplit("/", 1)[-1]):
                    continue
                if first.title and second.title and twin_key(first.title) != twin_key(second.title):
                    continue
                if self.link_of(first) and self.link_of(second):
                    continue  # both link their project: one link is DUP005's pair, two links are two projects
                pairs.append((earlier, later, 100.0, "", {}))
        return self.collect(pairs)

    def _find_url(self) -> dict[int, list[Match]]:
        config = self.section("url")
        fields = config.get("fields", ["homepage", "repo"]) or []
        normalize = UrlNormalizer(config.get("tracking_params", ["utm_*"]) or [],
                                  config.get("case_insensitive_hosts", []) or [])
        max_group = int(config.get("max_group", 5))
        ignore = config.get("ignore", []) or []
        pairs = []
        for members in self.by_kind().values():
            shared: dict[str, list[tuple[int, str, str]]] = {}
            for number in members:
                mine: set[str] = set()
                for key in fields:
                    raw = self.entries[number].links.get(key)
                    address = normalize(raw)
                    if not address or address in mine or any(fnmatch.fnmatchcase(address, g) for g in ignore):
                        continue
                    mine.add(address)
                    shared.setdefault(address, []).append((number, key, raw or ""))
            known = self.known_counts("url", members)
            for address, holders in shared.items():
                held = known.get(address, len(holders)) if known is not None else len(holders)
                if len(holders) < 2 or held > max_group:
                    continue
                first, first_field, first_raw = holders[0]
                for later, key, raw in holders[1:]:
                    if (first, later) in self._exact_pairs or not self.wanted(later):
                        continue
                    pairs.append((first, later, 100.0, address, {"field": key, "url": raw, "other_field": first_field,
                                                                 "other_url": first_raw}))
        return self.collect(pairs)


class DuplicateRule(Rule):
    """A DUP rule: reports the matches one part of the index found for an entry."""

    part: ClassVar[str]
    reason = "DUPLICATE"
    prepare_alongside = True
    depends_on = "directory"
    neighbours = "duplicates"

    def affected(self, ctx: AuditContext, changes: Any) -> set[str] | None:
        # One answer for the six rules: they share the features pairs are made on.
        found = getattr(ctx, "_duplicates_affected", False)
        if found is False:
            from auditor.checks.rules.duplicates._query import affected_by

            found = affected_by(ctx, changes)
            ctx._duplicates_affected = found  # type: ignore[attr-defined]
        return found

    def prepare(self, ctx: AuditContext) -> None:
        self._index = DuplicateIndex.of(ctx)
        self._index.part(self.part)

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for match in self._index.matches(self.part, entry):
            yield self.report(entry, match)

    def report(self, entry: Entry, match: Match) -> Finding:
        raise NotImplementedError

    @staticmethod
    def other(match: Match) -> str:
        return f"`{match.other.id}` ({match.other.path})"


__all__ = ["DuplicateIndex", "DuplicateRule", "Match", "clip", "order_key"]
