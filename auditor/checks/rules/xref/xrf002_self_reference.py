from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class SelfReference(Rule):
    code = "XRF002"
    name = "xref.self-reference"
    severity = Severity.warning
    depends_on = "entry"
    reason = "XREF_BROKEN"
    title = "An entry lists itself as related"
    what = "Reports an entry whose `related` list contains its own id."
    why = "A Related block pointing at the page the reader is already on wastes one of its few slots."
    example = "`incident-response.md` with `related: [incident-response, systematic-debugging]`."
    fix = "Remove the entry's own id from `related`."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if entry.id in entry.related:
            yield self.finding(
                entry, "the entry lists itself in `related`", line=entry.line_of("related"),
                key=entry.id, evidence=f"related: {entry.id}",
                fix=f"Remove `{entry.id}` from `related`.",
            )
