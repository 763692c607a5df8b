from auditor.checks.prose import PackRule
from auditor.models import Finding, Severity


class LongSentence(PackRule):
    code = "PRS006"
    name = "prose.long-sentence"
    severity = Severity.info
    pack = "long-sentences"
    title = "Sentences too long to read in one go"
    what = ("Counts the words of every sentence of the title, summary and body (a heading, list item or table row "
            "ends a sentence, as does `.`, `!` or `?` before a space) and reports the entry once when a sentence "
            "has more than `max` words (`rules/prose/long-sentences.yml`, a Vale occurrence rule; default 45).")
    why = "Readers lose the thread of a sentence past 30-40 words; in a directory entry they skim and miss the point."
    example = "A 60-word summary sentence that chains four clauses with `and`, `which` and `while`."
    fix = "Split the sentence; one idea per sentence, 25 words or fewer is easy to read."
    convention = '[rules] disable = ["PRS006"]'

    def convention_key(self, finding: Finding) -> str:
        return ""  # every long sentence (every hard entry) is the same convention, whatever its text
