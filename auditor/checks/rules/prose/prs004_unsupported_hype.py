from auditor.checks.prose import PackRule
from auditor.models import Severity


class UnsupportedHype(PackRule):
    code = "PRS004"
    name = "prose.unsupported-hype"
    severity = Severity.info
    pack = "hype"
    title = "Superlatives and marketing claims with no evidence beside them"
    what = ("Finds hype from `rules/prose/hype.yml` (`fastest`, `best`, `#1`, `revolutionary`, `industry-leading`, "
            "`10x`...; `best practices` excepted). A match does not count when its sentence also holds evidence: "
            "a link, a figure with a unit (`40 ms`, `3x`, `12%`), a benchmark or a named source (`unless` in the "
            "pack). The entry is reported when at least `min_matches` unsupported claims remain. "
            "An info, not a warning: on real directories (bench/precision) about half of what it finds is a vendor's "
            "tagline quoted as such (`next-generation ORM`) or a word used plainly (`the best way to ...`), which an "
            "editor may keep; prompt files (`prompt_rules_off`) are not judged at all.")
    why = ("A directory that repeats vendors' superlatives stops being a neutral reference; an unsupported 'fastest' "
           "is also a claim that ages silently when a faster tool ships.")
    example = "`The fastest, most advanced gateway: a revolutionary, #1 tool.`"
    fix = "Back each claim with a benchmark, a figure or a source in the same sentence, or say plainly what the tool does."
