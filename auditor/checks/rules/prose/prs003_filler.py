from auditor.checks.prose import PackRule
from auditor.models import Severity


class Filler(PackRule):
    code = "PRS003"
    name = "prose.filler"
    severity = Severity.info
    pack = "filler"
    title = "Wordy filler phrases with a shorter form"
    what = ("Finds the phrases of the substitution pack `rules/prose/filler.yml` (`in order to` -> `to`, "
            "`due to the fact that` -> `because`, `it should be noted that` -> remove...) and reports the entry "
            "when they are dense; the fix lists each phrase found with its shorter form.")
    why = "Filler makes entries longer to read without saying more; readers skim past the sentence that matters."
    example = "`In order to connect, it should be noted that the server is able to use a number of transports.`"
    fix = "Use the shorter form of each phrase."
