from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class DuplicateHeading(Rule):
    code = "STR010"
    name = "structure.duplicate-heading"
    severity = Severity.warning
    title = "The same heading appears twice in one entry"
    what = "Reports a `## ` heading whose text (ignoring case) already appeared earlier in the entry."
    why = "Repeated headings usually come from a bad merge or paste; readers see the same block twice or two halves of one."
    example = "Two `## Use cases` sections, one near the top and one near the bottom."
    fix = "Merge the two sections into one."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        seen: dict[str, int] = {}
        for section in entry.sections:
            if section.level != 2:
                continue
            key = " ".join(section.title.lower().split())
            if key in seen:
                yield self.finding(
                    entry, f"heading `## {section.title}` already appears on line {seen[key]}",
                    line=section.line, key=key, evidence=f"## {section.title}",
                    fix=f"Merge this `## {section.title}` into the one on line {seen[key]}.",
                )
            else:
                seen[key] = section.line
