from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext, list_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class PersonAimedActionItem(DocumentRule):
    code = "PM013"
    name = "postmortem.person-aimed-action-item"
    severity = Severity.warning
    reason = "BLAME"
    title = "An action item aimed at a person instead of the system"
    what = (
        "Reports an action item whose description acts on a person (`postmortem.person_actions`: retrain, remind, "
        "coach, talk to, reprimand, ...) rather than changing a system or process."
    )
    why = "Retraining one person leaves the trap in place for the next; it also tells everyone that speaking up costs."
    example = "`description: Remind Dana to double-check the config before pushing`"
    fix = "Change what let the mistake through: \"Validate config pushes in CI and require a canary\"."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        actions = prose.word_regex([str(w) for w in ctx.schema.get("person_actions", [])])
        for path, item in list_at(doc, "postmortem.action_items"):
            if not isinstance(item, dict) or not isinstance(item.get("description"), str):
                continue
            match = actions.search(item["description"])
            if match:
                yield self.at(doc, path + ("description",), f"action item {item.get('id') or path[-1] + 1} is aimed at "
                                                            f"a person (\u201c{match.group(0)}\u201d), not at the system",
                              evidence=item["description"], key=str(item.get("id") or path[-1]))
