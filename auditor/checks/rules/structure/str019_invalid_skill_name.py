from auditor.checks.base import LoadProblemRule
from auditor.models import Severity


class InvalidSkillName(LoadProblemRule):
    code = "STR019"
    name = "structure.invalid-skill-name"
    severity = Severity.warning
    title = "A skill's `name` breaks the Agent Skills naming rule"
    problem_kinds = ("invalid-skill-name",)
    what = (
        "Reports `SKILL.md` files whose front-matter `name` is not lowercase letters, digits and hyphens, starts or "
        "ends with a hyphen, holds a double hyphen, or is longer than 64 characters (the Agent Skills "
        "specification's rule for `name`). The message says which part of the rule it breaks."
    )
    why = (
        "Tools that load skills validate the name and refuse or rename a skill whose name breaks the rule, so "
        "users cannot invoke it by the name the directory lists."
    )
    example = "`skills/zoho_mail-automation/SKILL.md` with `name: zoho_mail-automation` (an underscore)."
    fix = "Rename the skill (and its folder) to lowercase letters, digits and single hyphens, 64 characters at most."
