from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc

LISTS = ("incident.timeline", "incident.status_page_updates", "postmortem.root_causes",
         "postmortem.contributing_factors", "postmortem.action_items")
MAPPINGS = ("incident", "incident.times", "incident.roles", "postmortem", "postmortem.impact", "postmortem.trigger")


class InvalidValue(DocumentRule):
    code = "PM003"
    name = "postmortem.invalid-value"
    severity = Severity.error
    title = "A post-mortem field holds a value outside its allowed set or of the wrong type"
    what = (
        "Checks `incident.severity` against the policy's severity scale (from the Incident response entry, else "
        "`policy.levels`), `incident.status` against active|stable|closed, `postmortem.status` against "
        "draft|in_review|reviewed|closed (`postmortem` keys of `rules/incident.yml`), and that lists and "
        "mappings of the schema are lists and mappings."
    )
    why = "A severity off the scale or a misspelt status makes the document invisible to every check that reads it."
    example = "`severity: SEV1` when the scale is P0–P3; `status: resolved` (the statuses are active, stable, closed)."
    fix = "Use one of the allowed values."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        schema = ctx.schema
        allowed = {
            "incident.severity": ctx.policy.level_names,
            "incident.status": [str(x) for x in schema.get("incident_statuses", [])],
            "postmortem.status": [str(x) for x in schema.get("postmortem_statuses", [])],
        }
        for path, values in allowed.items():
            value = doc.get(path)
            if value in (None, "") or not values:
                continue
            if str(value).strip() not in values:
                yield self.at(doc, path, f"`{path}` is {value!r}, not one of {', '.join(values)}",
                              fix=f"Use one of {', '.join(values)}.")
        for path in LISTS:
            value = doc.get(path)
            if value is not None and not isinstance(value, list):
                yield self.at(doc, path, f"`{path}` must be a list", fix=f"Write `{path}` as a list of items.")
        for path in MAPPINGS:
            value = doc.get(path)
            if value is not None and not isinstance(value, dict):
                yield self.at(doc, path, f"`{path}` must be a mapping of `key: value` lines",
                              fix=f"Write `{path}` as a mapping.")
