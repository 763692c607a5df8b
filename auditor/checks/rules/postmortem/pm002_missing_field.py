from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc

ITEM_FIELDS = {
    "incident.timeline": ("at", "description"),
    "incident.status_page_updates": ("at", "state"),
    "postmortem.root_causes": ("category", "description"),
}


class MissingField(DocumentRule):
    code = "PM002"
    name = "postmortem.missing-field"
    severity = Severity.error
    title = "A required field of the post-mortem is missing or empty"
    what = (
        "Checks the fields `postmortem.required` in `rules/incident.yml` names for every document (incident id, "
        "title, severity, status, the impact, detection and declaration times, the incident commander, the "
        "timeline), `required_when_stable` once the incident is stable or closed (mitigation time), and "
        "`required_when_closed` once it is closed (resolution time and the whole post-mortem: owner, status, "
        "summary, impact, detection, resolution, trigger, root causes, contributing factors, action items). "
        "Each timeline entry needs `at` and `description`, each status-page update `at` and `state`, each root "
        "cause `category` and `description`."
    )
    why = "A post-mortem without its trigger, root cause or action items cannot prevent the next incident."
    example = "A closed incident whose `postmortem:` has no `contributing_factors`."
    fix = "Fill in the field; for an incident still in progress, keep `status: active` until it is mitigated."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        schema = ctx.schema
        status = doc.text("incident.status").strip()
        wanted = list(schema.get("required", []))
        if status in ("stable", "closed"):
            wanted += schema.get("required_when_stable", [])
        if status == "closed":
            wanted += schema.get("required_when_closed", [])
        for path in wanted:
            if not doc.has(path):
                yield self.at(doc, path, f"`{path}` is missing" + ("" if doc.get(path) is None else " (it is empty)"),
                              evidence="", fix=f"Add `{path}`.")
        for path, fields in ITEM_FIELDS.items():
            for item_path, item in list_at(doc, path):
                if not isinstance(item, dict):
                    continue
                index = item_path[-1]
                for name in fields:
                    if item.get(name) in (None, ""):
                        yield self.at(doc, item_path, f"`{path}[{index}]` has no `{name}`", evidence="",
                                      key=f"{path}.{index}.{name}", fix=f"Add `{name}` to this item.")
