import difflib
from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class UnknownCategory(DocumentRule):
    code = "PM015"
    name = "postmortem.unknown-category"
    severity = Severity.error
    title = "A trigger or root-cause category outside the Appendix C taxonomy"
    what = (
        "Checks `postmortem.trigger.category` against the trigger categories and each "
        "`postmortem.root_causes[].category` against the root-cause categories of the SRE Workbook's Appendix C "
        "taxonomy (`taxonomy` in `rules/incident.yml`: binary_push, configuration_push, ...; software, "
        "development_process_failure, ...), suggesting the nearest one."
    )
    why = "Post-mortems are compared by category (`auditor incident stats`); a free-text category counts nowhere."
    example = "`trigger: {category: config_change}` (the taxonomy says configuration_push)."
    fix = "Use one of the taxonomy's categories (or `other`, and describe it)."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        taxonomy = ctx.pack.get("taxonomy", {})
        triggers = [str(c) for c in taxonomy.get("triggers", {})]
        causes = [str(c) for c in taxonomy.get("root_causes", {})]
        places = [("postmortem.trigger.category", doc.get("postmortem.trigger.category"), triggers, "trigger")]
        for path, item in list_at(doc, "postmortem.root_causes"):
            if isinstance(item, dict):
                places.append((".".join(map(str, path + ("category",))), item.get("category"), causes, "root-cause"))
        for where, value, allowed, what in places:
            if value in (None, "") or str(value) in allowed:
                continue
            near = difflib.get_close_matches(str(value).lower().replace(" ", "_").replace("-", "_"), allowed, 1, 0.5)
            hint = f" (did you mean {near[0]}?)" if near else ""
            yield self.at(doc, where, f"{what} category {value!r} is not in the Appendix C taxonomy{hint}",
                          fix=f"Use one of: {', '.join(allowed)}.")
