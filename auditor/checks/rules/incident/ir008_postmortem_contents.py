import re
from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity


class PostmortemContents(IncidentRule):
    code = "IR008"
    name = "incident.postmortem-contents"
    severity = Severity.warning
    title = "The post-mortem the entry describes leaves out a required part"
    what = (
        "Reads the sentences of an incident-response entry that mention the post-mortem and checks that "
        "together they ask for every item of `postmortem_contents` in `rules/incident.yml`: a timeline, the "
        "root cause, contributing factors, and action items with owners and deadlines. An entry that never "
        "mentions a post-mortem is left to IR006."
    )
    why = (
        "A post-mortem without contributing factors blames the trigger; one without owned, dated action items "
        "changes nothing."
    )
    example = "`Write a short post-mortem with the timeline and the root cause.` (no contributing factors, no " \
              "action items with owners and deadlines)"
    fix = "Describe the post-mortem as: timeline, root cause, contributing factors, and action items with owners " \
          "and deadlines."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        postmortem = prose.word_regex([str(w) for w in pack.get("timing", {}).get("postmortem", [])])
        mentions = [item for item in items if postmortem.search(item.text)]
        if not mentions:
            return
        contents = {
            name: re.compile(rf"(?<![\w-])(?:{prose.phrase_pattern([str(w) for w in words])})s?(?!\w)", re.I)
            for name, words in (pack.get("postmortem_contents", {}) or {}).items()
        }
        text = " ".join(item.text for item in mentions)
        missing = [name for name, rx in contents.items() if not rx.search(text)]
        if not missing:
            return
        best = max(mentions, key=lambda item: sum(bool(rx.search(item.text)) for rx in contents.values()))
        yield self.finding(
            entry, f"the post-mortem it describes leaves out: {', '.join(missing)}",
            line=best.line, evidence=quote(best.text), key="missing:" + ",".join(missing),
            fix=f"Add {', '.join(missing)} to the description of the post-mortem.",
        )
