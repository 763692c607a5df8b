import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import ClaimRule, analyze, fact_matches
from auditor.models import Entry, Finding, Severity


class FactWrongPeriod(ClaimRule):
    code = "STL008"
    depends_on = "date"  # ages against the audit date
    name = "staleness.fact-wrong-period"
    severity = Severity.warning
    reason = "STAT_PERIOD"
    claim = "statistic"
    title = "A figure from the facts registry attributed to a period its source does not give"
    what = (
        "For figures paired with a fact from `rules/facts/` (see STL007), reports sentences that give a period "
        "other than the source's: another year or range for a table whose years are known (the SRE workbook's "
        "triggers cover 2010–2017), or any period for a table the source gives no years for (its root-cause "
        "categories). The source's publication year (\"the 2018 workbook\") is not read as a period."
    )
    why = "A right figure with the wrong years tells readers the data is newer, or more specific, than it is."
    example = "`Binary pushes caused 37% of outages in 2019, according to the SRE workbook.` (its data is 2010–2017)"
    fix = "Give the source's period (or none, when the source gives none) next to the figure."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        if not lex.facts:
            return
        analysis = analyze(entry, lex)
        if not any(sentence.stats and sentence.dates for sentence in analysis.sentences):
            return
        reported: set[tuple[int, str]] = set()
        for match in fact_matches(entry, analysis, lex):
            sentence, figure = match.sentence, match.figure
            source = figure.source
            dates = [ref for ref in sentence.dates
                     if ref.is_range or ref.start.year != source.published or ref.end.year != source.published]
            if not dates:
                continue
            if figure.period and any((ref.start.year, ref.end.year) == figure.period for ref in dates):
                continue
            if (id(sentence), figure.group) in reported:
                continue
            reported.add((id(sentence), figure.group))
            given = ", ".join(ref.label for ref in dates)
            if figure.period:
                truth = f"{figure.period[0]}–{figure.period[1]}"
                message = (f"\u201c{match.label_text}\u201d ({match.stat.text}) is attributed to {given}, but "
                           f"{source.source} gives {figure.group} for {truth}")
                claim_date = dt.date(figure.period[1], 12, 31)
                fix = f"Attribute the figure to {truth}, the period {source.source} gives."
            else:
                message = (f"\u201c{match.label_text}\u201d ({match.stat.text}) is attributed to {given}, but "
                           f"{source.source} gives no period for {figure.group}")
                claim_date = dt.date(source.published, 12, 31) if source.published else None
                fix = f"Remove the period: {source.source} gives none for {figure.group}."
            yield self.finding(
                entry, message, line=sentence.line, evidence=sentence.evidence, claim_date=claim_date,
                key=f"{source.key}:{figure.group}:{given}", fix=fix,
            )
