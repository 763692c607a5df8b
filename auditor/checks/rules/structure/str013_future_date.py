from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity
from auditor.sources.markdown import DATE_FIELDS


class FutureDate(Rule):
    code = "STR013"
    name = "structure.future-date"
    severity = Severity.warning
    depends_on = "date"
    reason = "FUTURE_DATE"
    title = "A front-matter date lies after the audit date"
    what = "Reports `updated`, `reviewed` or `published` dates later than the audit date (`--as-of`, default today)."
    why = "A date in the future is a typo; it also hides the entry from review-overdue checks for years."
    example = "`updated: 2027-03-01` in an audit run on 2026-11-28."
    fix = "Correct the date to the day the change was actually made."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for field in DATE_FIELDS:
            value = getattr(entry, field)
            if value is not None and value > ctx.as_of:
                yield self.finding(
                    entry, f"`{field}` is {value.isoformat()}, after the audit date {ctx.as_of.isoformat()}",
                    line=entry.line_of(field), key=field, evidence=f"{field}: {value.isoformat()}",
                    fix=f"Set `{field}` to the real date (on or before {ctx.as_of.isoformat()}).",
                )
