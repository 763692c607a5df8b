from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext, fmt_span, list_at, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class StatusPageLate(DocumentRule):
    code = "PM007"
    name = "postmortem.status-page-late"
    severity = Severity.error
    title = "The first status-page update came later than the policy allows, or never"
    what = (
        "Compares the first of `incident.status_page_updates` with `incident.times.declared_at`: it must come "
        "within the policy's status-page window (the Incident response entry's \"within 15 minutes of "
        "declaration\", else `policy.status_page_minutes`). An incident with no status-page update is reported "
        "too."
    )
    why = "Users who hear nothing assume the worst, and support queues fill with the same question."
    example = "Declared at 09:20, first status-page update at 09:50, with a 15-minute policy."
    fix = "Post to the status page within the window; record each update in `status_page_updates`."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        declared = time_at(doc, "incident.times.declared_at")
        if declared is None:
            return
        window = ctx.policy.status_page_minutes
        source = ctx.policy.sources.get("status_page_minutes", "")
        said = f"{prose.describe_minutes(window)} (policy from {source})" if source else prose.describe_minutes(window)
        updates = [(path, time_at(doc, path + ("at",))) for path, _ in list_at(doc, "incident.status_page_updates")]
        dated = [(path, moment) for path, moment in updates if moment is not None]
        if not dated:
            if not updates:
                yield self.at(doc, "incident.status_page_updates" if doc.get("incident.status_page_updates")
                              is not None else "incident", f"no status-page update is recorded; the first is due "
                              f"within {said} of declaration", evidence="", key="none")
            return
        path, first = min(dated, key=lambda pair: pair[1])
        late = first - declared
        if late.total_seconds() > window * 60:
            yield self.at(doc, path + ("at",), f"the first status-page update came {fmt_span(late)} after "
                                               f"declaration; the policy allows {said}", key="late")
