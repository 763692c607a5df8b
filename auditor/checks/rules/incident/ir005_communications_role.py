from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule
from auditor.models import Entry, Finding, Severity


class CommunicationsRole(IncidentRule):
    code = "IR005"
    name = "incident.communications-role"
    severity = Severity.warning
    title = "Nobody is given the job of keeping users and stakeholders informed"
    what = (
        "Looks in an incident-response entry for a communications role (`roles.communications` in "
        "`rules/incident.yml`: communications lead, liaison, ...) or, failing that, for the communications duty "
        "given to someone (`roles.communication_duties`: posting to the status page, updating stakeholders). "
        "An entry with neither is reported."
    )
    why = (
        "Users judge an incident by what they are told. When nobody owns the status page, the first update comes "
        "late or never, and engineers are interrupted by questions instead."
    )
    example = "An entry that describes grading, mitigation and the post-mortem, but never the status page."
    fix = "Name a communications lead (or say that the commander posts to the status page and updates stakeholders)."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        roles = pack.get("roles", {})
        words = [str(w) for w in roles.get("communications", [])] + \
                [str(w) for w in roles.get("communication_duties", [])]
        if any(prose.word_regex(words).search(item.text) for item in items):
            return
        section = entry.section("Key features")
        yield self.finding(entry, "no communications role: nobody is told to keep users and stakeholders informed",
                           line=section.line if section else entry.body_start, key="missing")
