from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity

TOPIC_NAMES = {"status_page": "status-page deadline", "postmortem": "post-mortem window"}


class TimingClash(IncidentRule):
    code = "IR007"
    name = "incident.timing-clash"
    severity = Severity.error
    title = "The entry gives two different status-page deadlines or post-mortem windows"
    what = (
        "Collects the deadlines an incident-response entry states (\"within 15 minutes of declaration\", \"no "
        "later than 2 hours\", \"48 hours after resolution\"), gives each to the status page or the post-mortem "
        "by the nearest words from `timing` in `rules/incident.yml`, and reports a topic with more than one "
        "value, quoting both places. Cadences (\"every 30 minutes\") are not deadlines."
    )
    why = (
        "The entry is the policy `auditor incident validate` enforces. With two values, responders pick the "
        "lenient one and the validator cannot know which one the directory means."
    )
    example = "`post to the status page within 15 minutes` in Key features and `within 30 minutes` in the FAQ."
    fix = "Keep one value for each deadline and change the other place to match."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        topics = {key: [str(w) for w in words] for key, words in pack.get("timing", {}).items()}
        found = prose.deadlines(items, topics)
        for topic in topics:
            mine = [d for d in found if d.topic == topic]
            if not mine:
                continue
            first = mine[0]
            other = next((d for d in mine if d.minutes != first.minutes), None)
            if other is None:
                continue
            label = TOPIC_NAMES.get(topic, topic)
            yield self.finding(
                entry,
                f"two {label}s: \u201c{first.text}\u201d (line {first.line}) and \u201c{other.text}\u201d "
                f"(line {other.line})",
                line=other.line, key=topic,
                evidence=f"line {first.line}: {quote(first.evidence)} | line {other.line}: {quote(other.evidence)}",
                fix=f"Use one {label}: {prose.describe_minutes(first.minutes)} or "
                    f"{prose.describe_minutes(other.minutes)}, in both places.",
            )
