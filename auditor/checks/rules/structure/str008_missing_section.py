from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.conventions import kind_list_line
from auditor.config import Config
from auditor.models import Entry, Finding, Severity


class MissingSection(Rule):
    code = "STR008"
    name = "structure.missing-section"
    severity = Severity.warning
    depends_on = "entry"
    title = "A body section the entry's kind requires is missing"
    what = "Checks the entry's `## ` headings against `required_sections` for its kind in `rules/kinds.yml`."
    why = "Readers compare entries section by section; a skill without Expected Output leaves them guessing."
    example = "A skill entry with Use cases and Key features but no `## When to Use This Skill`."
    fix = "Add the missing `## ` section with real content."

    def convention_line(self, scope: str, key: str, config: Config) -> str:
        return kind_list_line(self.code, "required_sections", scope, key, config)

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if entry.kind is None or any(p.kind in ("empty", "unreadable") for p in entry.problems):
            return
        required = ctx.config.kind_data(entry.kind).get("required_sections", [])
        present = [s for s in entry.sections if s.level == 2]
        for index, title in enumerate(required):
            if entry.section(title) is not None:
                continue
            # Point at the section it should follow, so the fix says where to put it.
            before = next((entry.section(t) for t in reversed(required[:index]) if entry.section(t)), None)
            line = before.line if before else (present[0].line if present else entry.body_start)
            if not entry.body_lines:  # no body at all: point at the closing `---`, not past the end of the file
                line = max(1, entry.body_start - 1)
            where = f"after `## {before.title}`" if before else "at the top of the body"
            yield self.finding(
                entry, f"required section `## {title}` is missing",
                line=line, key=title.lower(), fix=f"Add a `## {title}` section {where}.",
            )
