from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.entry_dates import describe
from auditor.models import Entry, Finding, Severity


class ReviewOverdue(Rule):
    code = "STL001"
    depends_on = "date"  # ages against the audit date
    name = "staleness.review-overdue"
    severity = Severity.warning
    reason = "REVIEW_DUE"
    title = "The entry has not been reviewed within its kind's interval"
    what = (
        "Reports entries whose `reviewed` date is older than `review_interval_days` for their kind in "
        "`rules/kinds.yml` (`default_review_interval_days` for entries with no kind). An entry with no `reviewed` "
        "date is unreviewed: it is overdue when its last change is older than the interval, the last change read "
        "from `updated` (or an alias such as `updated_at`) or, in a git checkout, from the last commit that changed "
        "its file or, for a list bullet or a record of a JSON list, its own lines. An entry with no date at all is "
        "not reported: nothing says how old it is; nor is one whose front matter or `reviewed` value cannot be read "
        "(a review date may be there: STR001 or STR006 reports the file). When most entries of a kind are unreviewed and overdue (a "
        "directory that keeps no review dates), that is reported once for the directory (`convention_share`) unless "
        "`[rules] enforce` names STL001. With `unreviewed_findings = \"summary\"` (what `auditor init` writes for "
        "such a directory) unreviewed entries are counted in the run summary instead (how many, the median age of "
        "their last change, how many are past their interval) and entries with a `reviewed` date are still "
        "reported; the staleness score dates every entry either way."
    )
    why = "Prices, versions and links drift; an entry nobody has verified for months is probably wrong somewhere."
    example = (
        "A tool reviewed on 2025-01-15, audited on 2026-11-28 with a 90-day interval (592 days ago); an awesome-list "
        "bullet never reviewed whose line was last changed by a commit of 2026-02-19."
    )
    fix = "Verify the entry against its sources, correct what changed, and set `reviewed` to today."
    # A directory that keeps no review dates at all (most awesome lists) and has not touched most entries within the
    # interval gets one finding for that, not one per entry; entries with a `reviewed` date past due stay their own.
    # Accepting it keeps the rule for entries that do carry a review date and keeps the unreviewed ones counted.
    convention = '[settings] unreviewed_findings = "summary"'

    def convention_key(self, finding: Finding) -> str | None:
        return finding.key if finding.key == "never-reviewed" else None

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        interval = ctx.config.review_interval(entry.kind)
        if not interval:
            return
        due = f"a {entry.kind} is due every {interval} days" if entry.kind else \
            f"an entry with no kind is due every {interval} days"
        if entry.reviewed is not None:
            if entry.reviewed > ctx.as_of:
                return
            age = (ctx.as_of - entry.reviewed).days
            if age > interval:
                yield self.finding(
                    entry, f"last reviewed {age} days ago on {entry.reviewed.isoformat()} ({due})",
                    line=entry.line_of("reviewed"), key="reviewed",
                    evidence=f"reviewed: {entry.reviewed.isoformat()}",
                    fix=f"Verify the entry against its sources and set `reviewed: {ctx.as_of.isoformat()}`.",
                )
            return
        if ctx.config.settings.get("unreviewed_findings", "report") == "summary":
            return
        if any(p.kind in ("unreadable", "front-matter") or (p.kind == "bad-date" and p.field == "reviewed")
               for p in entry.problems):
            return  # a review date may be there, unread: STR001/STR006 report the file, not "never reviewed"
        changed = entry.last_changed
        if changed is None or changed > ctx.as_of:
            return
        age = (ctx.as_of - changed).days
        if age > interval:
            if entry.last_changed_by == "front-matter":
                line = entry.line_of(entry.last_changed_ref.split(".", 1)[0], entry.body_start)
            else:
                line = entry.lines[0] if entry.lines else 1
            if entry.lines:  # a list bullet or a record among others: nothing in it holds a review date
                fix = "Check that its links and description still hold, then correct the line or remove the entry."
            else:
                fix = (f"Verify the entry against its sources and add `reviewed: {ctx.as_of.isoformat()}` to its front "
                       "matter (or record).")
            yield self.finding(
                entry, f"never reviewed; last changed {age} days ago ({describe(entry)}; {due})",
                line=line, key="never-reviewed", evidence=describe(entry), fix=fix,
            )
