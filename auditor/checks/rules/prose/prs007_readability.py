from auditor.checks.prose import PackRule
from auditor.models import Finding, Severity


class Readability(PackRule):
    code = "PRS007"
    name = "prose.readability"
    severity = Severity.info
    pack = "readability"
    title = "Body prose is hard to read (Flesch-Kincaid grade level)"
    what = ("Computes the Flesch-Kincaid grade level, 0.39 x words/sentences + 11.8 x syllables/words - 15.59, over "
            "the summary and body prose (headings, code and URLs left out; syllables estimated from vowel groups) "
            "and reports the entry when it is above the pack's condition (`> 18.0` in "
            "`rules/prose/readability.yml`, a Vale metric rule). Only entries with at least `min_words` (100) "
            "words are scored: on a few bullets the formula means nothing.")
    why = "A grade above 18 means long sentences and long words at once: graduate-level text where a list would do."
    example = "Three paragraphs of 45-word sentences full of `infrastructure`, `observability`, `configurability`."
    fix = "Shorten sentences and prefer short words; a list or an example often says it better."
    convention = '[rules] disable = ["PRS007"]'

    def convention_key(self, finding: Finding) -> str:
        return ""  # every long sentence (every hard entry) is the same convention, whatever its text
