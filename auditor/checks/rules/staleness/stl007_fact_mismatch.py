import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import ClaimRule, analyze, fact_matches, format_value
from auditor.models import Entry, Finding, Severity


class FactMismatch(ClaimRule):
    code = "STL007"
    depends_on = "date"  # ages against the audit date
    name = "staleness.fact-mismatch"
    severity = Severity.error
    reason = "STAT_MISMATCH"
    claim = "statistic"
    title = "A figure that disagrees with the source it quotes (facts registry)"
    what = (
        "In entries that name a source from `rules/facts/` (one of its aliases, or a link to it), pairs every "
        "percentage with the nearest fact label or synonym in the same sentence (\"binary pushes ... 35%\") and "
        "reports figures that disagree with the registry. A figure agrees when it is the source's figure rounded "
        "to the quoted precision; with \"about\", \"~\" or \"roughly\" it may be "
        "`approximate_tolerance_points` off; \"over\" and \"under\" are bounds (`rules/statistics.yml`)."
    )
    why = "A misquoted figure is wrong from the day it is published, and it spreads when others quote the entry."
    example = (
        "`In the SRE workbook's data, binary pushes caused 35% of outages.` The workbook's Appendix C gives 37%."
    )
    fix = "Quote the source's figure, or remove the figure."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        if not lex.facts:
            return
        analysis = analyze(entry, lex)
        if not any(sentence.stats for sentence in analysis.sentences):
            return
        for match in fact_matches(entry, analysis, lex):
            if match.agrees:
                continue
            figure = match.figure
            source = figure.source
            truth = format_value(figure.value)
            period = f" for {figure.period[0]}–{figure.period[1]}" if figure.period else ""
            claim_date = (dt.date(figure.period[1], 12, 31) if figure.period
                          else dt.date(source.published, 12, 31) if source.published else None)
            yield self.finding(
                entry,
                f"\u201c{match.label_text}\u201d is quoted as {match.stat.text}, but {source.source} gives {truth}% "
                f"({figure.label}, {figure.group}{period})",
                line=match.sentence.line, evidence=match.sentence.evidence, claim_date=claim_date,
                key=f"{source.key}:{figure.label}:{match.stat.text.lower()}",
                fix=f"Quote {truth}% for {figure.label} as {source.source} gives it ({source.url}), "
                    "or remove the figure.",
            )
