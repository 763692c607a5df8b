from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity


class SeverityImpact(IncidentRule):
    code = "IR002"
    name = "incident.severity-impact"
    severity = Severity.warning
    title = "A severity level is defined by something other than its impact"
    what = (
        "Compares each severity level's definition in an incident-response entry with the impact the scale in "
        "`rules/incident.yml` gives that level (`policy.levels[].impact`, recognised by `words`): P0 a complete "
        "outage, P1 a major feature broken, P2 a degraded experience, P3 a minor issue with a workaround. A "
        "definition that shares no word with its level's impact is reported, naming the level it reads like."
    )
    why = (
        "A scale defined by who noticed, who is on call or how loud the alert was grades the same outage "
        "differently each time, and an inverted scale sends the smallest problem to the top of the queue."
    )
    example = "`P1 for anything the CEO notices` or `P3 for complete outage` (that is P0's impact)."
    fix = "Define the level by its impact on users, as the scale does."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        levels = pack.get("policy", {}).get("levels", [])
        names = [str(level["name"]) for level in levels]
        words = {str(level["name"]): prose.word_regex([str(w) for w in level.get("words", [])]) for level in levels}
        impacts = {str(level["name"]): str(level.get("impact", "")) for level in levels}
        seen: set[str] = set()
        for definition in prose.level_definitions(items, names):
            if definition.level in seen:
                continue  # a repeated definition is IR001's
            seen.add(definition.level)
            if words[definition.level].search(definition.definition):
                continue
            like = next((name for name in names if words[name].search(definition.definition)), None)
            reads = f"; it reads like {like} ({impacts[like]})" if like else ""
            yield self.finding(
                entry,
                f"{definition.level} is defined as \u201c{definition.definition}\u201d, not by its impact "
                f"({impacts[definition.level]}){reads}",
                line=definition.line, evidence=quote(definition.evidence), key=definition.level,
                fix=f"Define {definition.level} by its impact: \"{definition.level} for {impacts[definition.level]}\".",
            )
