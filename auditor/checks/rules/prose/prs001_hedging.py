from auditor.checks.prose import PackRule
from auditor.models import Severity


class Hedging(PackRule):
    code = "PRS001"
    name = "prose.hedging"
    severity = Severity.warning
    pack = "hedging"
    title = "The entry hedges its claims: many weasel words per 100 words"
    what = ("Counts hedges and weasel words (`might`, `perhaps`, `arguably`, `studies show`, `many experts`...) "
            "from `rules/prose/hedging.yml` in the title, summary and body prose (not code, URLs or link targets) "
            "and reports the entry when there are at least `min_matches` of them and more than `density` per 100 "
            "words. One hedge in a plain entry is fine; a page of them is not.")
    why = ("A directory entry is read as a statement of fact. Prose that hedges every claim tells readers nothing "
           "they can rely on, and weasel words (`experts agree`, `studies show`) borrow authority without a source.")
    example = ("`It might possibly be the right tool, and many experts arguably seem to think it could potentially "
               "help.` (5 hedges in 20 words)")
    fix = "State what is known plainly, with its source; drop the qualifiers that only soften it."
