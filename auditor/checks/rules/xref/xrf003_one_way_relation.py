from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class OneWayRelation(Rule):
    code = "XRF003"
    name = "xref.one-way-relation"
    severity = Severity.info
    depends_on = "ids"
    reason = "XREF_ONE_WAY"
    title = "A related entry does not relate back"
    what = "Reports `related` ids whose entry does not list this entry in its own `related`."
    why = "Relations are usually mutual; a one-way link often means the other entry was written or renamed later."
    example = "`incident-response` lists `systematic-debugging`, which lists nothing back."
    fix = "Add this entry's id to the other entry's `related`, if the relation holds both ways."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for target in entry.related:
            other = ctx.by_id.get(target)
            if other is None or other is entry or entry.id in other.related:
                continue
            yield self.finding(
                entry, f"`{target}` does not list `{entry.id}` in its related entries",
                line=entry.line_of("related"), key=target, evidence=f"{other.path}: related: {other.related}",
                fix=f"Add `{entry.id}` to `related` in {other.path}, if the relation holds both ways.",
            )
