from auditor.checks.prose import PackRule
from auditor.models import Severity


class Condescension(PackRule):
    code = "PRS005"
    name = "prose.condescension"
    severity = Severity.info
    pack = "condescension"
    title = "Words that tell readers a step is easy or obvious"
    what = ("Counts `obviously`, `simply`, `just`, `easy`, `of course`, `trivial`... from "
            "`rules/prose/condescension.yml` and reports the entry when they are dense (more than `density` per "
            "100 words, at least `min_matches`).")
    why = "Calling a step easy helps no one who finds it easy and discourages everyone who is stuck on it."
    example = "`Simply run the installer; obviously you just paste the key, which is trivial.`"
    fix = "Drop the word; if a step really is short, show it instead of saying so."
