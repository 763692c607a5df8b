from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class InvalidFrontMatter(LoadProblemRule):
    code = "STR002"
    name = "structure.invalid-front-matter"
    severity = Severity.error
    title = "The front matter is missing, unclosed or not valid YAML"
    problem_kinds = ("front-matter",)
    what = "Reports entry files whose `---` front-matter block is absent, never closed, or not a YAML mapping."
    why = "Without readable front matter the entry has no kind, title, owner or dates, so no other check can judge it."
    example = "`title: Incident response: the guide` (an unquoted second colon) or a block that never ends in `---`."
    fix = "Correct the YAML at the named line (quote values that contain `: `) and close the block with `---`."
