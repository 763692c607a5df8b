from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class OrphanEntry(Rule):
    code = "XRF004"
    name = "xref.orphan-entry"
    severity = Severity.info
    depends_on = "ids"
    reason = "ORPHAN"
    title = "No other entry relates to this one"
    what = "Reports entries that appear in no other entry's `related` list."
    why = "Readers reach most entries through Related blocks; an entry nothing points at is rarely found."
    example = "A new MCP server entry that no tool or skill lists as related."
    fix = "Add this entry's id to the `related` list of one or two entries on the same subject."

    convention = '[rules] disable = ["XRF004"]'

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if entry.kind is None or entry.kind == "news":  # news is reached by date, not by relation
            return
        if ctx.related_to.get(entry.id, set()) - {entry.id}:
            return
        yield self.finding(
            entry, "no other entry lists this one in `related`", line=1, key="orphan",
            fix=f"Add `{entry.id}` to the `related` list of an entry on the same subject.",
        )
