from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class DuplicateId(LoadProblemRule):
    code = "STR005"
    name = "structure.duplicate-id"
    severity = Severity.error
    title = "Two entry files have the same id"
    problem_kinds = ("duplicate-id",)
    what = "Reports every file whose id (its `id:` field, or else its file name) is already taken by an earlier file."
    why = "Related links and URLs resolve by id; two entries with one id means one of them can never be reached."
    example = "`tools/copilot.md` and `news/copilot.md` both become the id `copilot`."
    fix = "Rename one of the files, or give it a distinct `id:` in its front matter."
