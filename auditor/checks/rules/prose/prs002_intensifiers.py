from auditor.checks.prose import PackRule
from auditor.models import Severity


class Intensifiers(PackRule):
    code = "PRS002"
    name = "prose.intensifiers"
    severity = Severity.info
    pack = "intensifiers"
    title = "Intensifiers (very, really, extremely...) stand in for facts"
    what = ("Counts intensifiers from `rules/prose/intensifiers.yml` (`very`, `really`, `extremely`, `incredibly`, "
            "`truly`...; `highly available` and `superuser` excepted) and reports the entry when they are dense "
            "(more than `density` per 100 words, at least `min_matches`).")
    why = "Emphasis words make a claim louder, not truer; a number or a comparison makes the same point and can be checked."
    example = "`A really fast, extremely simple and incredibly useful, very popular gateway.`"
    fix = "Cut the intensifier, or replace it with the fact that makes the point (a number, a comparison)."
