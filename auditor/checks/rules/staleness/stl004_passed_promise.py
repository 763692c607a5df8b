import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import (
    ClaimRule,
    Lexicon,
    Sentence,
    _month_end,
    age_text,
    analyze,
    sentence_key,
)
from auditor.models import Entry, Finding, Severity


def _relative_end(kind: str, anchor: dt.date) -> dt.date | None:
    quarter = (anchor.month - 1) // 3 + 1
    if kind == "this_year":
        return dt.date(anchor.year, 12, 31)
    if kind == "next_year":
        return dt.date(anchor.year + 1, 12, 31)
    if kind == "this_quarter":
        return _month_end(anchor.year, quarter * 3)
    if kind == "next_quarter":
        year, quarter = (anchor.year + 1, 1) if quarter == 4 else (anchor.year, quarter + 1)
        return _month_end(year, quarter * 3)
    return None


class PassedPromise(ClaimRule):
    code = "STL004"
    depends_on = "date"  # ages against the audit date
    name = "staleness.passed-promise"
    severity = Severity.warning
    reason = "PASSED_PROMISE"
    claim = "dated"
    title = "A promise about a date that has already passed"
    what = (
        "Reports sentences that announce something for a date (\"will launch in Q2 2025\", \"is expected by "
        "March 2026\", \"planned for later this year\") when that date has ended on the audit date, in every "
        "kind, news included. The date must follow the promise word; \"later this year\" and \"next year\" "
        "count from the entry's `published` (news) or `updated` date. Sentences that already report the promise "
        "as missed (\"was expected\", \"postponed\") are left alone. Offers and deadlines count too: a date right "
        "after `until`, `through`, `expires` (\"intro price $2.00 through 2026-08-31\", \"free until March "
        "2026\") that has passed, unless the sentence is in the past tense (\"was free until\"). Words are in "
        "`rules/time_words.yml` (`future_markers`, `deadline_markers`)."
    )
    why = (
        "A launch promised for a date that has come and gone either happened, slipped or was cancelled; in "
        "every case the entry now says something untrue."
    )
    example = "`The EU region will launch in Q2 2025.` read on 2026-11-28 (Q2 2025 ended on 2025-06-30)."
    fix = "Find out what happened and say so in the past tense, with the real date, or remove the promise."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        analysis = analyze(entry, lex)
        if not analysis.sentences:
            return
        anchor = (entry.published if entry.kind == "news" else None) or entry.updated or entry.published
        floor = entry.published if entry.kind == "news" else None
        for sentence in analysis.sentences:
            if not sentence.dates and (anchor is None or not lex.relative_periods.in_sentence(sentence)):
                continue
            promise = lex.future.in_sentence(sentence)
            if not promise:
                yield from self._deadlines(entry, sentence, lex, ctx)
                continue
            if lex.past.in_sentence(sentence):
                continue
            deadline: tuple[dt.date, str] | None = None
            for ref in sentence.dates:
                if ref.pos >= promise.start() and not ref.lead.endswith("since"):
                    deadline = (ref.end, ref.label)
                    break
            if deadline is None and anchor is not None:
                for match in lex.relative_periods.iter_sentence(sentence, promise.start()):
                    phrase = " ".join(match.group(0).lower().split())
                    end = _relative_end(lex.relative_period_kinds.get(phrase, ""), anchor)
                    if end is not None:
                        deadline = (end, f"{phrase} (from {anchor.isoformat()})")
                        break
            if deadline is None:
                continue
            end, label = deadline
            if end >= ctx.as_of or (floor is not None and end < floor):
                continue
            marker = " ".join(promise.group(0).split())
            yield self._passed(
                entry, sentence, ctx, end,
                f"promise \u201c{marker} \u2026 {label}\u201d has passed: that period ended on {end.isoformat()}",
                "Find out what happened and state it in the past tense with the real date, or remove the promise.")

    def _passed(self, entry: Entry, sentence: Sentence, ctx: AuditContext, end: dt.date, what: str,
                fix: str) -> Finding:
        return self.finding(entry, f"{what}, {age_text(ctx.as_of, end)} before the audit date", line=sentence.line,
                            evidence=sentence.evidence, claim_date=end,
                            key=f"{end.isoformat()}:{sentence_key(sentence)}", fix=fix)

    def _deadlines(self, entry: Entry, sentence: Sentence, lex: Lexicon, ctx: AuditContext) -> Iterable[Finding]:
        """An offer or a deadline that ends on a date now past: "intro price $2.00 through 2026-08-31", "free until
        March 2026", "supported until 2025-10-01" (not "current through DATE", a dated state for STL002)."""
        if lex.past.in_sentence(sentence) or lex.deadline_past.in_sentence(sentence) \
                or lex.examples.in_sentence(sentence):
            return
        text = sentence.text
        for ref in sentence.dates:
            if ref.document or ref.is_range or ref.end >= ctx.as_of:
                continue
            marker = lex.deadline.search(text, max(0, ref.pos - 40), ref.pos)
            if marker is None or lex.snapshot.search(text, max(0, ref.pos - 40), ref.pos):
                continue
            word = " ".join(marker.group(0).split())
            yield self._passed(
                entry, sentence, ctx, ref.end,
                f"offer or deadline \u201c{word} {ref.label}\u201d has passed: it ended on {ref.end.isoformat()}",
                "Find out whether the offer or deadline was extended or ended, and say so with the real date, "
                "or remove it.")
            return
