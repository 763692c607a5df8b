import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import (
    ClaimRule,
    DateRef,
    age_text,
    analyze,
    claim_interval,
    own_date,
    sentence_key,
)
from auditor.models import Entry, Finding, Severity


class DatedClaim(ClaimRule):
    code = "STL002"
    depends_on = "date"  # ages against the audit date
    name = "staleness.dated-claim"
    severity = Severity.warning
    reason = "DATED_CLAIM"
    claim = "dated"
    title = "A claim pinned to a date that is older than the kind's review interval"
    what = (
        "Reports sentences that state something as of a date (\"as of March 2023\", \"at the time of writing\"), "
        "and sentences that pair a date (\"in 2019\", \"Q2 2023\", \"2010–2017\") with a present-tense claim "
        "(\"currently\", \"the only\", \"the default\"), and states stamped with a date (\"(cached: 2026-03-01)\", "
        "\"current as of 2025\", \"Recent updates: November 2025\", \"Last updated: March 2026\"), when the date is "
        "older than the kind's `review_interval_days` in `rules/kinds.yml` (or its `dated_claim_horizon_years` "
        "when it sets one; `default_claim_interval_days` in `rules/time_words.yml` for entries without a kind). "
        "Every text is read: summaries, bodies, Markdown twins, skill bodies and a list file's own prose. A range "
        "dates from its end; \"at the time of writing\" dates from the entry's `updated` (`published` for news). "
        "Sentences with statistics are left to STL005 and promises to STL004. The markers and words are in "
        "`rules/time_words.yml`."
    )
    why = (
        "A claim that carries its own old date tells the reader it may no longer hold; the entry either needs "
        "a current figure or should drop the claim."
    )
    example = "`As of March 2023, the SDK is the only one with streaming support.` in a tool read on 2026-11-28."
    fix = "Check the claim against a current source and restate it with today's date, or remove it."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        interval = claim_interval(entry, ctx, lex)
        if interval is None:
            return
        analysis = analyze(entry, lex)
        if not analysis.sentences:
            return
        limit = ctx.as_of - dt.timedelta(days=interval[0])
        written, _ = own_date(entry)
        for sentence in analysis.sentences:
            if sentence.stats or sentence.table:
                continue
            undated = None if sentence.dates else lex.undated_snapshot.in_sentence(sentence)
            if not sentence.dates and not undated:
                continue
            if lex.future.in_sentence(sentence) or lex.examples.in_sentence(sentence):
                continue
            text = sentence.text
            claim: tuple[str, DateRef | None, str] | None = None  # (how it is dated, date, marker)
            dates = [ref for ref in sentence.dates if not ref.document]
            for ref in dates:
                marker = lex.snapshot.search(text, max(0, ref.pos - 40), ref.pos)
                if marker and ref.end <= ctx.as_of and (claim is None or ref.end > claim[1].end):
                    claim = ("snapshot", ref, " ".join(marker.group(0).rstrip(" \t:*_(-–—").split()))
            if claim is None and (marker := undated or lex.undated_snapshot.in_sentence(sentence)):
                if written is not None:
                    claim = ("writing", None, " ".join(marker.group(0).split()))
            present = lex.present.in_sentence(sentence) if claim is None and dates else None
            if present and not lex.historical.in_sentence(sentence):
                past = [ref for ref in dates if ref.end <= ctx.as_of]
                if past:
                    latest = max(past, key=lambda ref: ref.end)
                    claim = ("present", latest, " ".join(present.group(0).split()))
            if claim is None:
                continue
            how, ref, marker = claim
            date = ref.end if ref is not None else written
            if date is None or date >= limit:
                continue
            if how == "writing":
                dated = f"\u201c{marker}\u201d (the entry's date, {date.isoformat()})"
            elif how == "snapshot":
                dated = f"\u201c{marker} {ref.label}\u201d"
            else:
                dated = f"{ref.label} with \u201c{marker}\u201d"
            subject = f"a {entry.kind}" if entry.kind else "an entry"
            yield self.finding(
                entry,
                f"claim dated {dated} is {age_text(ctx.as_of, date)} old "
                f"(claims on {subject} go stale after {interval[1]})",
                line=sentence.line, evidence=sentence.evidence, claim_date=date,
                key=f"{date.isoformat()}:{sentence_key(sentence)}",
                fix="Check the claim against a current source and restate it with a current date, or remove it.",
            )
