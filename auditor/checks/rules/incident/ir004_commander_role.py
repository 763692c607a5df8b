import re
from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity


class CommanderRole(IncidentRule):
    code = "IR004"
    name = "incident.commander-role"
    severity = Severity.error
    title = "No incident commander who coordinates the response"
    what = (
        "Requires an incident-response entry to name an incident commander (`roles.commander` in "
        "`rules/incident.yml`: incident commander, incident lead, ...) and, in the same sentence as the role at "
        "least once, give it the coordinating job (`roles.coordinates`: coordinates, assembles the team, "
        "leads, delegates, ...)."
    )
    why = (
        "Without one person coordinating, responders duplicate work, nobody decides on the rollback, and "
        "nobody notices that users have not been told."
    )
    example = "`Everyone on call joins the channel and fixes what they can.` (no commander)"
    fix = "Name an incident commander when the incident is declared, and say that they coordinate the response " \
          "(assemble the team, assign work, decide on mitigation)."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        roles = pack.get("roles", {})
        commander = prose.word_regex([str(w) for w in roles.get("commander", [])])
        stems = "|".join(re.escape(str(w)) for w in roles.get("coordinates", [])) or r"(?!)"
        coordinates = re.compile(rf"(?<![\w-])(?:{stems})", re.IGNORECASE)
        named = [item for item in items if commander.search(item.text)]
        if not named:
            section = entry.section("Key features")
            yield self.finding(entry, "the entry names no incident commander", key="missing",
                               line=section.line if section else entry.body_start)
            return
        if not any(coordinates.search(item.text) for item in named):
            yield self.finding(
                entry, "the entry names an incident commander but never says that they coordinate the response",
                line=named[0].line, evidence=quote(named[0].text), key="no-coordination",
                fix="Say what the commander does: coordinates the response, assembles the team, assigns work.",
            )
