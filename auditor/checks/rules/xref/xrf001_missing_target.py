from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class MissingTarget(Rule):
    code = "XRF001"
    name = "xref.missing-target"
    severity = Severity.error
    reason = "XREF_BROKEN"
    title = "A related id names no entry"
    what = "Reports ids in `related` that match no entry in the directory, with the closest existing id as the fix."
    why = "The Related block renders a dead link or silently drops the item; either way readers lose the pointer."
    example = "`related: [systematic-debuging]` when the entry is `systematic-debugging`."
    fix = "Correct the id (the finding suggests the closest one) or remove it from `related`."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for target in entry.related:
            if target in ctx.by_id or target == entry.id:
                continue
            # Never suggest the entry itself: that would turn the typo into a self-reference.
            match = ctx.closest_id(target, besides=entry.id)
            if match:
                fix = f"Did you mean `{match}`? Replace `{target}` with `{match}` in `related`."
            else:
                fix = f"Remove `{target}` from `related`, or create that entry."
            yield self.finding(
                entry, f"related id `{target}` does not exist", line=entry.line_of("related"),
                key=target, evidence=f"related: {target}", fix=fix,
            )
