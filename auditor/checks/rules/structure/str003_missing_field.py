from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.conventions import kind_list_line
from auditor.config import Config
from auditor.models import Entry, Finding, Severity


class MissingField(Rule):
    code = "STR003"
    name = "structure.missing-field"
    severity = Severity.error
    depends_on = "entry"
    title = "A front-matter field the entry's kind requires is missing or empty"
    what = "Checks the front matter against `required_fields` for the entry's kind in `rules/kinds.yml`."
    why = "Listings, Related blocks and the review schedule all read these fields; a missing title or owner breaks them."
    example = "A tool entry with no `owner:` line, or `title:` left empty."
    fix = "Add the field to the front matter."

    def convention_line(self, scope: str, key: str, config: Config) -> str:
        return kind_list_line(self.code, "required_fields", scope, key, config)

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if any(p.kind in ("front-matter", "empty", "unreadable") for p in entry.problems):
            return
        if entry.meta.get("kind") is None or str(entry.meta["kind"]).strip() == "":
            yield self.finding(entry, "the front matter has no `kind` (tool, mcp, skill or news)",
                               line=1, key="kind", fix="Add `kind: tool` (or mcp, skill, news).")
            return
        if entry.kind is None:  # an unknown kind is STR004's to report
            return
        for field in ctx.config.kind_data(entry.kind).get("required_fields", []):
            value = entry.meta.get(field)
            if value is None or (isinstance(value, str | list | dict) and not value):
                line = entry.line_of(field, 1)
                state = "is empty" if field in entry.meta else "is missing"
                yield self.finding(
                    entry, f"required field `{field}` {state} (every {entry.kind} entry needs it)",
                    line=line, key=field, evidence=f"{field}: {value!r}" if field in entry.meta else "",
                    fix=f"Add `{field}:` with a value to the front matter.",
                )
