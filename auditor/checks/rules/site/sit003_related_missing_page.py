from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.site._site import MISSING_STATUSES, related_items, related_line
from auditor.models import Entry, Finding, Severity


class RelatedMissingPage(Rule):
    code = "SIT003"
    name = "site.related-missing-page"
    severity = Severity.error
    depends_on = "ids"
    reason = "XREF_BROKEN"
    title = "A Related item links to a page that does not exist"
    what = "Reports items of a crawled page's Related block whose link answered 404 or 410 during the crawl, or that have no link at all. The fix names the closest existing entry."
    why = "A Related item is a promise of more on the subject; a dead one sends the reader to an error page, and usually means a renamed or deleted entry is still listed."
    example = "The Code review page lists \"systematic-debuging\", linking to /skills/systematic-debuging/, which answers 404."
    fix = "Point the item at the renamed entry, or remove it from the entry's `related` list."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for item in related_items(entry):
            url = item.get("url")
            if url and item.get("status") not in MISSING_STATUSES:
                continue
            label = item.get("title") or item.get("target") or url or "(untitled)"
            match = ctx.closest_id(item.get("target") or "", besides=entry.id) if item.get("target") else None
            fix = (f"Did you mean `{match}`? Link the item to {ctx.by_id[match].path}." if match
                   else "Remove the item, or publish the page it links to.")
            why = f"answers HTTP {item.get('status')}" if url else "has no link"
            yield self.finding(
                entry, f"Related item `{label}` {why}" + (f": {url}" if url else ""),
                line=related_line(entry), key=url or label, evidence=f"{label} -> {url or '(no link)'}", fix=fix,
            )
