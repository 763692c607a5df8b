from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class NoPreventionItem(DocumentRule):
    code = "PM014"
    name = "postmortem.no-prevention-item"
    severity = Severity.error
    title = "No action item prevents the incident from recurring"
    what = (
        "Requires at least one action item whose `type` is in `postmortem.recurrence_types` (`prevent` by "
        "default) in a post-mortem that lists action items."
    )
    why = "Mitigation and repair end this incident; only prevention keeps the same trigger from causing the next one."
    example = "Three action items of type `repair`, `detect` and `investigate`, none of type `prevent`."
    fix = "Add an item that removes the root cause or blocks the trigger (type: prevent)."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        items = list_at(doc, "postmortem.action_items")
        if not items:
            return
        wanted = {str(t) for t in ctx.schema.get("recurrence_types", [])}
        if any(isinstance(item, dict) and str(item.get("type")) in wanted for _, item in items):
            return
        types = ", ".join(sorted({str(item.get("type")) for _, item in items if isinstance(item, dict)}))
        yield self.at(doc, "postmortem.action_items", f"no action item prevents recurrence (types: {types}; "
                                                      f"expected at least one of {', '.join(sorted(wanted))})",
                      evidence="", key="none")
