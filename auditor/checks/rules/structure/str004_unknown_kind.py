from collections.abc import Iterable

from auditor.checks.base import AuditContext, LoadProblemRule
from auditor.models import Entry, Finding, Severity


class UnknownKind(LoadProblemRule):
    code = "STR004"
    name = "structure.unknown-kind"
    severity = Severity.error
    title = "The entry's kind is not one the directory knows"
    problem_kinds = ("unknown-kind",)
    what = "Reports a `kind:` value that is not one of the kinds listed in `rules/kinds.yml`."
    why = "The kind decides which fields and sections are required and how often the entry is reviewed."
    example = "`kind: plugin` in a directory of tool, mcp, skill and news entries."
    fix = "Use one of the known kinds, or add the new kind to the rule pack."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        if str(entry.meta.get("kind", "")).strip() == "":  # a blank `kind:` is missing, STR003's to report
            return
        yield from super().check(entry, ctx)
