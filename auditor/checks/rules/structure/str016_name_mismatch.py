from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class NameMismatch(LoadProblemRule):
    code = "STR016"
    name = "structure.name-mismatch"
    severity = Severity.warning
    title = "A skill's `name` differs from its folder"
    convention = '[rules] disable = ["STR016"]'

    problem_kinds = ("name-mismatch",)
    what = (
        "Reports `SKILL.md` files whose front-matter `name` is not the name of the folder they live in "
        "(`skills/<folder>/SKILL.md`). The folder is the entry's id. A sub-skill nested in another skill's folder "
        "may be named `<namespace>-<folder>` when the namespace begins an enclosing skill's folder name "
        "(`qdrant-scaling/minimize-latency/SKILL.md` named `qdrant-minimize-latency`)."
    )
    why = (
        "The Agent Skills specification asks for the two to match: tools install a skill by its folder and invoke "
        "it by its `name`, so a mismatch leaves users typing a command that does not exist, and links by folder "
        "miss it."
    )
    example = "`skills/azure-devops-cli/SKILL.md` with `name: azure-devops`."
    fix = "Rename the folder or the `name` so the two are the same."
