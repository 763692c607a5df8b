"""The staleness score: how badly an entry needs a refresh, 0-100, from its ageing claims.

The weights and half-lives are data in `rules/staleness_score.yml`; the formula is documented there,
in the docs (docs/staleness.md), and by `auditor score explain`. The score orders tickets and the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.config import Config
from auditor.models import Entry, Finding
from auditor.sources.markdown import parse_date


@dataclass(frozen=True)
class Signal:
    claim: str  # pricing | version | capability | statistic | dated | relative | prose
    since: dt.date  # the date the claim's data dates from
    source: str  # where it came from: a front-matter key, a finding's code, or `git <commit>`
    age_days: int
    strength: float  # 0..weight
    evidence: str = "front-matter"  # what dates it: front-matter | git | claim


BANDS = ("fresh", "ageing", "stale", "unknown")


def band_of(score: int | None) -> str:
    """Below 40 fresh, 40-69 ageing, 70 and up stale; `unknown` when nothing dates the entry (None)."""
    if score is None:
        return "unknown"
    return "stale" if score >= 70 else "ageing" if score >= 40 else "fresh"


@dataclass
class StalenessScore:
    entry: str
    score: int
    signals: list[Signal] = field(default_factory=list)
    review_overdue_days: int = 0  # > 0 when the review is past due (the hard trigger)
    # What the entry's age is read from: `reviewed` (front-matter), its last change (`front-matter` or `git`), or
    # only its claims' dates (`claim`); "" when nothing dates it: the score is then unknown, not fresh.
    evidence: str = ""
    age_days: int | None = None  # since the last review, or the last change of an unreviewed entry
    unreviewed: bool = False  # no `reviewed` date: the age counts from the last change

    @property
    def band(self) -> str:
        return band_of(self.score if self.evidence else None)

    def strongest(self) -> Signal | None:
        return max(self.signals, key=lambda s: s.strength, default=None)


def _strength(claim: str, since: dt.date, as_of: dt.date, data: dict[str, Any]) -> tuple[int, float]:
    age = max(0, (as_of - since).days)
    half_life = float(data.get("half_life_days", {}).get(claim) or 0)
    weight = float(data.get("weight", {}).get(claim, 0.5))
    if half_life <= 0:
        return age, 0.0
    return age, weight * (1.0 - 0.5 ** (age / half_life))


def age_source(entry: Entry) -> tuple[dt.date, str, str] | None:
    """(date, source, evidence) the entry's age counts from: its last review, else its last change."""
    if entry.reviewed is not None:
        return entry.reviewed, "reviewed", "front-matter"
    if entry.last_changed is not None:
        if entry.last_changed_by == "git":
            return entry.last_changed, f"git {entry.last_changed_ref[:7]}", "git"
        return entry.last_changed, entry.last_changed_ref or "updated", entry.last_changed_by or "front-matter"
    if entry.updated is not None:  # an entry no dating pass has seen
        return entry.updated, "updated", "front-matter"
    return None


def score_entry(entry: Entry, findings: Iterable[Finding], as_of: dt.date, config: Config) -> StalenessScore:
    """One entry's score from its front matter's dated claims and its findings' claim dates."""
    return _Scorer(as_of, config).score(entry, findings)


def score_entries(
    entries: list[Entry], findings: list[Finding], as_of: dt.date, config: Config
) -> dict[str, StalenessScore]:
    by_entry: dict[str, list[Finding]] = {}
    for finding in findings:
        by_entry.setdefault(finding.entry, []).append(finding)
    scorer = _Scorer(as_of, config)
    return {entry.id: scorer.score(entry, by_entry.get(entry.id, [])) for entry in entries}


class _Scorer:
    """Scoring as of one date: the pack's data and each kind's review interval looked up once, and each signal made
    once (a frozen value, shared by the entries whose claims date from the same day and source: at 50 000 entries a
    few hundred signals, not a hundred thousand). Entries whose dated claims, age and kind are the same get the same
    score: it is worked out once for them (`_done`; at 50 000 entries some hundreds of kinds of entry, and scoring
    every one of them again was 0.45 CPU s of a re-audit)."""

    def __init__(self, as_of: dt.date, config: Config) -> None:
        self.as_of, self.config = as_of, config
        self.data = config.pack.get("staleness_score", {})
        self._intervals: dict[str | None, int | None] = {}
        self._signals: dict[tuple[str, dt.date, str, str], Signal] = {}
        self._version_kinds = list(self.data.get("version_kinds", []))
        self._prose_kinds = list(self.data.get("prose_kinds", []))
        self._dates: dict[str, dt.date | None] = {}  # parse_date of the text of a `checked` (pure, and repeated)
        # (kind, claims, age source, uncommitted) -> (score, signals strongest first, overdue days, evidence, age)
        self._done: dict[tuple[Any, ...], tuple[int, tuple[Signal, ...], int, str, int | None]] = {}

    def _interval(self, kind: str | None) -> int | None:
        if kind not in self._intervals:
            self._intervals[kind] = self.config.review_interval(kind)
        return self._intervals[kind]

    def _signal(self, claim: str, since: dt.date, source: str, evidence: str) -> Signal:
        key = (claim, since, source, evidence)
        signal = self._signals.get(key)
        if signal is None:
            age, strength = _strength(claim, since, self.as_of, self.data)
            signal = self._signals[key] = Signal(claim, since, source, age, strength, evidence)
        return signal

    def _checked(self, value: Any) -> dt.date | None:
        if not isinstance(value, str):
            return parse_date(value)
        if value not in self._dates:
            self._dates[value] = parse_date(value)
        return self._dates[value]

    def _claims(self, entry: Entry, since: tuple[dt.date, str, str] | None,
                findings: Iterable[Finding]) -> tuple[tuple[str, dt.date, str, str], ...]:
        """The front matter's dated claims (pricing checks, the package version and the prose, dated from the
        entry's age source) and the findings' dated claims, in that order."""
        claims = []
        meta = entry.meta
        pricing = meta.get("pricing")
        if isinstance(pricing, list):
            for plan in pricing:
                checked = self._checked(plan.get("checked")) if isinstance(plan, dict) else None
                if checked:
                    claims.append(("pricing", checked, "pricing.checked", "front-matter"))
        if since is not None:
            if entry.kind in self._version_kinds and isinstance(meta.get("package"), dict):
                claims.append(("version", since[0], "package", since[2]))
            if entry.kind in self._prose_kinds:
                claims.append(("prose", since[0], since[1], since[2]))
        claims += [(f.claim, f.claim_date, f.code, "claim") for f in findings if f.claim and f.claim_date]
        return tuple(claims)

    def score(self, entry: Entry, findings: Iterable[Finding]) -> StalenessScore:
        since = age_source(entry)
        claims = self._claims(entry, since, findings)
        uncommitted = since is None and entry.last_changed_by == "uncommitted"
        key = (entry.kind, claims, since, uncommitted)
        done = self._done.get(key)
        if done is None:
            done = self._done[key] = self._work_out(entry.kind, claims, since, uncommitted)
        score, signals, overdue, evidence, age_days = done
        return StalenessScore(entry.id, score, list(signals), overdue, evidence, age_days, entry.reviewed is None)

    def _work_out(self, kind: str | None, claims: tuple[tuple[str, dt.date, str, str], ...],
                  since: tuple[dt.date, str, str] | None,
                  uncommitted: bool) -> tuple[int, tuple[Signal, ...], int, str, int | None]:
        """The score of an entry of `kind` with these dated claims, its age counted from `since` (`uncommitted`:
        nothing dates it but lines being edited)."""
        as_of, data = self.as_of, self.data
        signals = [self._signal(claim, date, source, evidence)
                   for claim, date, source, evidence in claims if date <= as_of]

        strongest_by_claim: dict[str, float] = {}
        for signal in signals:
            strongest_by_claim[signal.claim] = max(strongest_by_claim.get(signal.claim, 0.0), signal.strength)
        fresh = 1.0
        for strength in strongest_by_claim.values():
            fresh *= 1.0 - min(strength, 1.0)
        score = 100.0 * (1.0 - fresh)

        overdue = 0
        interval = self._interval(kind)
        age_days = None
        evidence = since[2] if since else ""
        if uncommitted:
            evidence, age_days = "git", 0  # lines being edited: changed now
        if since is not None and since[0] <= as_of:
            age_days = (as_of - since[0]).days
            if interval:
                overdue = age_days - interval
                if overdue > 0:
                    review = data.get("review_due", {})
                    floor = (float(review.get("floor", 70))
                             + float(review.get("per_interval", 15)) * (overdue / interval))
                    score = max(score, min(100.0, floor))
        if not evidence and signals:
            evidence = "claim"
        signals.sort(key=lambda s: -s.strength)
        return round(min(score, 100.0)), tuple(signals), max(overdue, 0), evidence, age_days


def reasons(findings: Iterable[Finding]) -> list[str]:
    """The distinct reason codes of these findings, most severe first, for tickets editors filter by."""
    ranked: dict[str, int] = {}
    for finding in findings:
        if finding.reason:
            ranked[finding.reason] = max(ranked.get(finding.reason, 0), int(finding.severity))
    return sorted(ranked, key=lambda reason: (-ranked[reason], reason))
