import re
from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity

# "Action-item priority is separate from incident severity": both words and a word that tells them apart.
_DISTINGUISHED = re.compile(r"(?=.*\bpriorit)(?=.*\bseverit)(?=.*\b(?:separate|distinct|different|independent|"
                            r"not the same|unrelated)\b)", re.IGNORECASE)
_SEVERITY_NOUNS = re.compile(r"\s*(?:-\s*)?(?:incidents?|outages?|severity|events?|pages?|alerts?|grades?|level)\b",
                             re.IGNORECASE)


class PriorityReuse(IncidentRule):
    code = "IR003"
    name = "incident.priority-reuse"
    severity = Severity.warning
    title = "Severity levels reused as action-item priorities without saying which is which"
    what = (
        "Reports a severity level (P0–P3) used as the priority of an action item, ticket or follow-up (\"file "
        "the action items as P1\", \"P2 follow-ups\") in an incident-response entry that never says the two "
        "scales differ. A level followed by \"incident\", \"outage\" or \"severity\" is a severity and is not "
        "reported. A sentence that tells priority and severity apart (both words and \"separate\", \"distinct\", "
        "\"not the same\"...; or one of `priority_reuse.distinguished` in `rules/incident.yml`) clears the entry."
    )
    why = (
        "\"P1\" then means both \"major feature broken\" and \"fix this week\": a P1 action item from a P3 "
        "incident looks like an outage in the tracker, and a P3 follow-up of an outage looks optional."
    )
    example = "`Track the action items as P1 in the team backlog.`"
    fix = "Give action items their own priority words (urgent, high, normal, low), or say in one sentence that " \
          "action-item priority is separate from incident severity."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        names = prose.level_names(pack)
        reuse = pack.get("priority_reuse", {})
        distinguished = prose.word_regex([str(w) for w in reuse.get("distinguished", [])])
        if any(distinguished.search(item.text) or _DISTINGUISHED.match(item.text) for item in items):
            return
        context = prose.word_regex([str(w) for w in reuse.get("context", [])])
        token = prose.level_token(names)
        group = re.compile(rf"(?<![\w-])(?:{token})(?:\s*(?:,|/|and|or)\s*(?:{token}))*(?!\w)")
        for item in items:
            for match in group.finditer(item.text):
                if _SEVERITY_NOUNS.match(item.text, match.end()):
                    continue
                window = item.text[max(0, match.start() - 45): match.end() + 45]
                if not context.search(window):
                    continue
                yield self.finding(
                    entry,
                    f"\u201c{match.group(0)}\u201d is used as an action-item priority, but the entry uses the same "
                    "words for incident severity and never says which is which",
                    line=item.line, evidence=quote(item.text), key=f"{match.group(0)}:{item.text[:40]}",
                )
