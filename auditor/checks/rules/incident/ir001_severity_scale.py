from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext
from auditor.incidents import text as prose
from auditor.incidents.entry_rule import IncidentRule, quote
from auditor.models import Entry, Finding, Severity


class SeverityScale(IncidentRule):
    code = "IR001"
    name = "incident.severity-scale"
    severity = Severity.error
    title = "Each severity level (P0–P3) is defined exactly once, in order"
    what = (
        "In an incident-response entry, finds the definitions of the severity levels (\"P0 for complete outage\", "
        "\"P1: major feature broken\", a table row `| P2 | degraded |`) and reports a level of the scale in "
        "`rules/incident.yml` (`policy.levels`) that is never defined, one defined more than once (both places "
        "quoted), and levels defined out of order. Ranges such as \"P0-P3\" and mentions such as \"a P1 "
        "incident\" are not definitions."
    )
    why = (
        "Responders grade an incident in the first minutes from this list. A missing level leaves a whole class of "
        "incidents ungraded; two definitions of one level make two people grade the same outage differently."
    )
    example = (
        "`P0 for complete outage, P1 for major feature broken, P3 for minor issue` (P2 missing), or a FAQ that "
        "says `P1 means anything a customer notices` after Key features defined P1 already."
    )
    fix = "Define every level once, most severe first, by its impact: P0 complete outage, P1 major feature broken, " \
          "P2 degraded experience, P3 minor issue with a workaround."

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        names = prose.level_names(pack)
        if not names:
            return
        found = prose.level_definitions(items, names)
        scale = f"{names[0]}–{names[-1]}"
        if not found:
            section = entry.section("Key features")
            yield self.finding(entry, f"the entry defines none of the severity levels {scale}",
                               line=section.line if section else entry.body_start, key="none",
                               evidence=quote(entry.summary or ""))
            return
        by_level: dict[str, list[prose.LevelDefinition]] = {}
        for definition in found:
            by_level.setdefault(definition.level, []).append(definition)
        defined = [name for name in names if name in by_level]
        for name in names:
            if name in by_level:
                continue
            near = found[0]
            yield self.finding(
                entry, f"severity level {name} is never defined (the entry defines {', '.join(defined)})",
                line=near.line, evidence=quote(near.evidence), key=f"missing:{name}",
                fix=f"Define {name} by its impact next to the other levels, e.g. \"{name} for "
                    f"{_impact(pack, name)}\".",
            )
        for name, definitions in by_level.items():
            if len(definitions) < 2:
                continue
            first, second = definitions[0], definitions[1]
            yield self.finding(
                entry,
                f"severity level {name} is defined {len(definitions)} times: \u201c{first.text}\u201d "
                f"(line {first.line}) and \u201c{second.text}\u201d (line {second.line})",
                line=second.line, key=f"repeated:{name}",
                evidence=f"line {first.line}: {quote(first.evidence)} | line {second.line}: {quote(second.evidence)}",
                fix=f"Keep one definition of {name} (by impact: {_impact(pack, name)}) and delete the other.",
            )
        firsts = [by_level[name][0] for name in names if name in by_level]
        in_text = sorted(firsts, key=lambda d: (d.line, d.evidence.find(d.level + " ")))
        if [d.level for d in in_text] != [d.level for d in firsts]:
            yield self.finding(
                entry, f"severity levels are defined out of order: {', '.join(d.level for d in in_text)}",
                line=in_text[0].line, evidence=quote(in_text[0].evidence), key="order",
                fix=f"Define the levels most severe first: {', '.join(names)}.",
            )


def _impact(pack: dict[str, Any], name: str) -> str:
    for level in pack.get("policy", {}).get("levels", []):
        if str(level.get("name")) == name:
            return str(level.get("impact", ""))
    return "its impact"
