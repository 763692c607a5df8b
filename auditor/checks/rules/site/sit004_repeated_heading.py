from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class RepeatedHeading(Rule):
    code = "SIT004"
    name = "site.repeated-heading"
    severity = Severity.warning
    depends_on = "entry"
    reason = "STRUCTURE"
    title = "A heading appears twice on a crawled page"
    what = "Reports a heading text (any level, ignoring case and spacing) that appears more than once on a crawled page, read with the profile's `headings` selector. Repeats of a `## ` heading inside the entry's body are STR010's and are not reported again here, and the titles of Related items are not page headings."
    why = "A doubled heading outside the entry's text (\"Related\" twice above the Related block) comes from the page template or a widget rendered twice; the source file looks fine, so only the page shows it."
    example = "The Incident response page shows \"Related\" and then \"Related\" again above \"3 Indexed items\"."
    fix = "Fix the page template (or the block rendered twice) so the heading appears once."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        seen: dict[str, dict] = {}
        reported: set[str] = set()
        for heading in (entry.site or {}).get("headings") or []:
            key = " ".join(str(heading.get("text", "")).split()).casefold()
            if not key or heading.get("in_related_item"):  # related items' titles are SIT003's and XRF's
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = heading
                continue
            both_body_h2 = (first.get("in_body") and heading.get("in_body")
                            and first.get("level") == heading.get("level") == 2)
            if both_body_h2 or key in reported:
                continue
            reported.add(key)
            yield self.finding(
                entry, f"the heading \"{heading.get('text')}\" appears more than once on the page",
                line=1, key=key, evidence=f"h{first.get('level')} {first.get('text')} · h{heading.get('level')} "
                                          f"{heading.get('text')}",
                fix=f"Show the heading \"{heading.get('text')}\" once: fix the page template or the block rendered twice.",
            )
