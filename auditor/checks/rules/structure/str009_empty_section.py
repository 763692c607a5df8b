from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class EmptySection(Rule):
    code = "STR009"
    name = "structure.empty-section"
    severity = Severity.warning
    depends_on = "entry"
    title = "A section heading has nothing under it"
    what = "Reports `## ` sections with no text and no non-empty sub-section before the next heading of their level."
    why = "An empty heading promises content the entry does not have and reads as an unfinished page."
    example = "`## Key features` followed directly by `## Frequently Asked Questions`."
    fix = "Write the section, or remove the heading."

    convention = '[rules] disable = ["STR009"]'

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        sections = entry.sections
        for index, section in enumerate(sections):
            if section.level != 2 or section.text:
                continue
            children = []
            for later in sections[index + 1:]:
                if later.level <= section.level:
                    break
                children.append(later)
            if any(child.text for child in children):
                continue
            yield self.finding(
                entry, f"section `## {section.title}` is empty", line=section.line,
                key=section.title.lower(), evidence=f"## {section.title}",
                fix=f"Write the content of `## {section.title}` or delete the heading.",
            )
