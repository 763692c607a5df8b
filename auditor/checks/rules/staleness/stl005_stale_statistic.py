import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import (
    ClaimRule,
    age_text,
    analyze,
    fact_matches,
    kind_horizon,
    sentence_key,
    years_before,
    years_text,
)
from auditor.models import Entry, Finding, Severity


class StaleStatistic(ClaimRule):
    code = "STL005"
    depends_on = "date"  # ages against the audit date
    name = "staleness.stale-statistic"
    severity = Severity.warning
    reason = "STAT_AGE"
    claim = "statistic"
    title = "A statistic whose data ended longer ago than the kind's statistics horizon"
    what = (
        "Reports sentences with a statistic (a percentage, a count such as \"2,000 teams\", an amount such as "
        "\"$4 billion\", a multiplier such as \"3x faster\") and the period it describes, when that period ended "
        "longer ago than `statistics_horizon_years` for the kind in `rules/kinds.yml` (default 3). The data's "
        "date is the end of the period the sentence gives (\"2010–2017\" dates from 2017; \"since 2020\" is not "
        "a period end); a figure that quotes a source in `rules/facts/` without a period takes the source's "
        "period, or its publication year. Versions, prices per period, code and URLs are not statistics."
    )
    why = (
        "Distributions, adoption counts and market sizes drift; a figure from a study that ended years ago, "
        "quoted without its age, reads as if it described today."
    )
    example = (
        "`Binary pushes caused 37% of outages (2010–2017).` read on 2026-11-28: the data ends in 2017, "
        "8.9 years earlier, past a skill's 3-year horizon."
    )
    fix = "Say how old the data is (\"in 2010–2017\"), replace it with a current figure, or drop it."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        analysis = analyze(entry, lex)
        if not any(sentence.stats for sentence in analysis.sentences):
            return
        horizon = kind_horizon(entry, ctx, "statistics_horizon_years", lex.default_stat_horizon)
        if horizon is None:
            return
        limit = years_before(ctx.as_of, horizon)
        by_sentence: dict[int, list] = {}
        for match in fact_matches(entry, analysis, lex):
            by_sentence.setdefault(id(match.sentence), []).append(match)
        for sentence in analysis.sentences:
            if not sentence.stats or sentence.table:
                continue
            promise = lex.future.in_sentence(sentence)
            dates = [ref for ref in sentence.dates
                     if ref.end <= ctx.as_of and not ref.document and not ref.lead.endswith("since")
                     and not (promise and ref.pos > promise.start())]
            source_note = ""
            if dates:
                ref = max(dates, key=lambda r: r.end)
                end, where = ref.end, f"data from {ref.label} ({ref.end.year})"
            elif matches := by_sentence.get(id(sentence)):
                figure = matches[0].figure
                source_note = f", per {figure.source.source}"
                if figure.period:
                    end = dt.date(figure.period[1], 12, 31)
                    where = f"data from {figure.period[0]}–{figure.period[1]} ({figure.period[1]})"
                elif figure.source.published:
                    end = dt.date(figure.source.published, 12, 31)
                    where = f"data published in {figure.source.published} (the source gives no period)"
                else:
                    continue
            else:
                continue
            if end >= limit or analysis.paragraph_search(sentence.unit, lex.events):
                continue
            figures = ", ".join(stat.text for stat in sentence.stats[:4])
            if len(sentence.stats) > 4:
                figures += f" and {len(sentence.stats) - 4} more"
            subject = f"a {entry.kind}" if entry.kind else "an entry"
            yield self.finding(
                entry,
                f"statistic {figures} describes data from {end.year}, {age_text(ctx.as_of, end)} before the audit "
                f"date (statistics on {subject} go stale after {years_text(horizon)})",
                line=sentence.line, evidence=f"{where}{source_note}: {sentence.evidence}", claim_date=end,
                key=f"{end.year}:{sentence_key(sentence)}",
                fix="State the data's period next to the figure and replace it with a current source's figure, "
                    "or remove it.",
            )
