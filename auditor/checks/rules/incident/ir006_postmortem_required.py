import re
from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity

_REQUIRED = re.compile(r"\b(?:only|required|requires?|must|mandatory|always)\b", re.IGNORECASE)


class PostmortemRequired(IncidentRule):
    code = "IR006"
    name = "incident.postmortem-required"
    severity = Severity.error
    title = "A post-mortem is not required for the most severe incidents (P0 and P1)"
    what = (
        "Reports an incident-response entry that never calls for a post-mortem, that limits the requirement to "
        "levels that leave out one of `policy.postmortem_required_for` (P0 and P1 by default: \"post-mortems "
        "are required only for P0\"), or that makes the post-mortem optional (`postmortem_optional` words: "
        "optional, at the commander's discretion, ...) for those levels. A post-mortem described as a step of "
        "the process, with no level named, is required for every incident and passes."
    )
    why = "An outage without a post-mortem teaches nothing, and the next one follows the same path."
    example = "`Post-mortems are optional; write one if the team has time.`"
    fix = "Require a post-mortem at least for P0 and P1 incidents."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        names = prose.level_names(pack)
        required = [str(x) for x in pack.get("policy", {}).get("postmortem_required_for", [])]
        postmortem = prose.word_regex([str(w) for w in pack.get("timing", {}).get("postmortem", [])])
        optional = prose.word_regex([str(w) for w in pack.get("postmortem_optional", [])])
        mentions = [item for item in items if postmortem.search(item.text)]
        if not mentions:
            section = entry.section("Key features")
            yield self.finding(entry, "the entry never asks for a post-mortem", key="missing",
                               line=section.line if section else entry.body_start)
            return
        wanted = ", ".join(required)
        for item in mentions:
            for clause in prose.clauses(item.text):
                levels = prose.levels_in(clause, names)
                left_out = [name for name in required if name not in levels]
                if optional.search(clause) and (not levels or len(left_out) < len(required)):
                    yield self.finding(
                        entry, f"the post-mortem is made optional, but it is required at least for {wanted}",
                        line=item.line, evidence=quote(item.text), key=f"optional:{clause[:40]}",
                    )
                    break  # one finding per sentence: "optional; only if there is time" says it once
                elif levels and left_out and _REQUIRED.search(clause) and not optional.search(clause):
                    yield self.finding(
                        entry, f"post-mortems are required only for {', '.join(sorted(levels))}, which leaves out "
                               f"{', '.join(left_out)}",
                        line=item.line, evidence=quote(item.text), key=f"limited:{clause[:40]}",
                    )
