import fnmatch
import posixpath
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import _LINK, ClaimRule, analyze, sentence_key
from auditor.models import Entry, Finding, Severity


class UnsourcedStatistic(ClaimRule):
    code = "STL006"
    depends_on = "date"  # ages against the audit date
    name = "staleness.unsourced-statistic"
    severity = Severity.info
    reason = "STAT_UNSOURCED"
    claim = "statistic"
    title = "A statistic with no link or named source near it"
    what = (
        "Reports statistics (percentages, counts, amounts, multipliers; see STL005) when neither their paragraph "
        "or list item, nor the line that introduces their list, holds a link or a source word (\"according to\", "
        "\"survey\", \"report\", \"benchmark\"... in `rules/statistics.yml`) or names a source from `rules/facts/`. "
        "In the summary, a `links.source` in the front matter counts as the source. One finding per paragraph. "
        "Files named like `unsourced_skip_files` (prompts, agents, SKILL.md: text written for a model) are skipped."
    )
    why = (
        "A figure without a source cannot be re-checked when it is time to refresh the entry, and readers cannot "
        "tell a measurement from a marketing claim."
    )
    example = "`- Used by more than 2,000 engineering teams` with no link or source on the line."
    fix = "Link the source of the figure or name it in the same sentence, or remove the figure."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        skip = ctx.pack.get("statistics", {}).get("unsourced_skip_files") or []
        name = posixpath.basename(entry.path)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in skip):
            return
        lex = self.lex(ctx)
        analysis = analyze(entry, lex)
        seen: set[str] = set()
        for sentence in analysis.sentences:
            stats = [stat for stat in sentence.stats
                     if not stat.symbol and not (stat.unit == "percent" and stat.value in (0, 100))]
            if not stats or sentence.table or sentence.heading or lex.requirements.in_sentence(sentence):
                continue
            if sentence.unit == 1 and any("source" in str(key).lower() for key in entry.links):
                continue
            paragraph = analysis.paragraph(sentence.unit)
            if paragraph in seen:
                continue
            seen.add(paragraph)
            if _LINK.search(paragraph) or lex.sources.search(paragraph):
                continue
            if any(source.aliases.search(paragraph) for source in lex.facts):
                continue
            figures = ", ".join(stat.text for stat in stats[:4])
            if len(stats) > 4:
                figures += f" and {len(stats) - 4} more"
            yield self.finding(
                entry, f"statistic {figures} has no link or named source near it",
                line=sentence.line, evidence=sentence.evidence, key=sentence_key(sentence),
                fix="Link the figure's source or name it in the same sentence (\"according to ...\"), "
                    "or remove the figure.",
            )
