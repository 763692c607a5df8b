from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class InvalidDate(LoadProblemRule):
    code = "STR006"
    name = "structure.invalid-date"
    severity = Severity.error
    title = "A date field is not a date"
    problem_kinds = ("bad-date",)
    what = "Reports `updated`, `reviewed` or `published` values that are not calendar dates in YYYY-MM-DD form."
    why = "Staleness checks and the review schedule compare these dates; a value that is not a date hides an entry from them."
    example = "`reviewed: last week` or `updated: 2026-13-02`."
    fix = "Write the date as YYYY-MM-DD, e.g. `reviewed: 2026-11-02`."
