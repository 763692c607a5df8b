from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity


class BlamingLanguage(IncidentRule):
    code = "IR009"
    name = "incident.blame"
    severity = Severity.warning
    reason = "BLAME"
    title = "Blaming language in an incident-response entry"
    what = (
        "Reports the phrases of `blame.phrases` in `rules/incident.yml` (\"human error\", \"operator error\", "
        "\"careless\", \"should have\", \"failed to\", ...) and a person named as the cause (\"caused by the "
        "on-call engineer\", \"Dana's mistake\") in an incident-response entry, each with a suggested rewording. "
        "A phrase in quotes (\"use 'contributing factors' rather than 'human error'\") is a mention and passes."
    )
    why = (
        "People who expect blame hide what they did, and the post-mortem loses the facts it needs. Blaming "
        "words also stop the analysis at a person instead of the system that let the mistake through."
    )
    example = "`Most outages are human error: the engineer should have checked the dashboard.`"
    fix = "Describe what the system or process allowed, not what a person failed to do."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        counts: dict[str, int] = {}
        for item in items:
            for blame in prose.blame_in(item.text, pack):
                phrase = " ".join(blame.phrase.lower().split())
                counts[phrase] = counts.get(phrase, 0) + 1
                yield self.finding(
                    entry, f"blaming language: \u201c{blame.phrase}\u201d", line=item.line,
                    evidence=quote(item.text), key=f"{phrase}:{counts[phrase]}",
                    fix=blame.rewording[0].upper() + blame.rewording[1:] + ".",
                )
