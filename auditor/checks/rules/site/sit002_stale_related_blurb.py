from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.site._site import related_items, related_line, site_setting
from auditor.models import Entry, Finding, Severity


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class StaleRelatedBlurb(Rule):
    code = "SIT002"
    name = "site.stale-related-blurb"
    severity = Severity.warning
    depends_on = "directory"
    reason = "XREF_STALE"
    title = "A Related blurb no longer matches the related entry's own summary"
    what = "For each item of a crawled page's Related block whose entry was crawled too, compares the blurb shown with that entry's current summary (rapidfuzz ratio, ignoring case and spacing). Below `blurb_similarity` (rules/site.yml, default 90) it is reported, with the current summary as the fix."
    why = "Related blurbs are copies: when an entry's summary is edited, pages that relate to it keep showing the old text until they are rebuilt, so readers are told one thing on one page and another on the next."
    example = "The Systematic debugging page shows Incident response's summary from before its last edit."
    fix = "Rebuild the page so the blurb is the related entry's current summary."
    neighbours = "related-summaries"

    def basis(self, ctx: AuditContext) -> object:
        # Any entry added, removed, renamed or relisted: every entry again (the graph of ids the cache keys by).
        return getattr(ctx, "id_graph", None)

    def affected(self, ctx: AuditContext, changes: Any) -> set[str] | None:
        # With the ids as they were, what a finding reads of another entry is the summary of an entry its
        # `related` list names: the entries that list a changed one are checked again.
        ids = {entry.id for entry in changes.entries}
        listers = set().union(*(ctx.related_to.get(name, ()) for name in ids)) if ids else set()
        return {ctx.by_id[name].path for name in listers if name in ctx.by_id}

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        threshold = float(site_setting(ctx, "blurb_similarity", 90))
        for item in related_items(entry):
            target = ctx.by_id.get(item.get("target") or "")
            if target is None or not target.summary or target is entry:
                continue
            shown = item.get("blurb") or ""
            score = fuzz.ratio(_norm(shown), _norm(target.summary))
            if score >= threshold:
                continue
            title = item.get("title") or target.title or target.id
            yield self.finding(
                entry, f"the Related blurb for `{target.id}` ({title}) differs from its current summary "
                       f"({score:.0f}% alike)",
                line=related_line(entry), key=target.id, evidence=f"shown: {shown or '(no blurb)'}",
                fix=f"Show the current summary: {target.summary}",
            )
