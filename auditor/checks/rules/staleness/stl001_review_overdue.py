from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class ReviewOverdue(Rule):
    code = "STL001"
    name = "staleness.review-overdue"
    severity = Severity.warning
    reason = "REVIEW_DUE"
    title = "The entry has not been reviewed within its kind's interval"
    what = "Reports entries whose `reviewed` date is older than `review_interval_days` for their kind in `rules/kinds.yml`."
    why = "Prices, versions and links drift; an entry nobody has verified for months is probably wrong somewhere."
    example = "A tool reviewed on 2025-01-15, audited on 2026-11-28 with a 90-day interval (592 days ago)."
    fix = "Verify the entry against its sources, correct what changed, and set `reviewed` to today."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        interval = ctx.config.kind_data(entry.kind).get("review_interval_days")
        if entry.reviewed is None or not interval or entry.reviewed > ctx.as_of:
            return
        age = (ctx.as_of - entry.reviewed).days
        if age > int(interval):
            yield self.finding(
                entry,
                f"last reviewed {age} days ago on {entry.reviewed.isoformat()} "
                f"(a {entry.kind} is due every {interval} days)",
                line=entry.line_of("reviewed"), key="reviewed",
                evidence=f"reviewed: {entry.reviewed.isoformat()}",
                fix=f"Verify the entry against its sources and set `reviewed: {ctx.as_of.isoformat()}`.",
            )
