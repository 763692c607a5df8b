from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.site._site import related_line
from auditor.models import Entry, Finding, Severity


class RelatedCount(Rule):
    code = "SIT001"
    name = "site.related-count"
    severity = Severity.warning
    depends_on = "entry"
    reason = "XREF_BROKEN"
    title = "The Related block's stated count disagrees with the items it shows"
    what = "On a crawled entry page, compares the number the Related block states (\"3 Indexed items\", read with the profile's `related.count` selector) with the number of related items it shows."
    why = "A count that disagrees with the list means the page template and the index have drifted apart: readers are promised items they cannot see, or the index lost some."
    example = "The block says \"4 Indexed items\" and lists three entries."
    fix = "Rebuild the page (or its Related index) so the count and the items agree."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        block = (entry.site or {}).get("related")
        if not block or not block.get("found") or block.get("count") is None:
            return
        shown = len(block.get("items") or [])
        stated = int(block["count"])
        if stated != shown:
            yield self.finding(
                entry, f"the Related block says {stated} item{'s' if stated != 1 else ''} but shows {shown}",
                line=related_line(entry), key="count", evidence=block.get("count_text") or str(stated),
                fix=f"Make the Related block state {shown}, or restore the missing related items.",
            )
