from auditor.checks.rules.duplicates._index import DuplicateRule, Match, clip
from auditor.models import Entry, Finding, Severity


class NearDuplicateSummary(DuplicateRule):
    code = "DUP002"
    name = "duplicates.near-duplicate-summary"
    severity = Severity.warning
    part = "summary"
    title = "The summary nearly repeats another entry's"
    what = (
        "Reports an entry whose summary is at least `summary.similarity` percent similar (rapidfuzz ratio of the "
        "lowercased words) to the summary of another entry of the same kind. Summaries shorter than "
        "`summary.min_words` words are not compared. Only pairs that share a run of words few other entries "
        "use are scored (see `blocking` in rules/duplicates.yml). Two summaries that differ where the two "
        "titles differ (one template filled in for Google Ads and for Facebook Ads) describe two things and are "
        "not reported. Reported once per pair, on the entry whose path sorts later, naming the earlier one."
    )
    why = (
        "A summary is what readers see in lists and Related blocks; two that read the same are either one "
        "thing listed twice or two things the directory fails to tell apart."
    )
    example = (
        "Two MCP entries both summarised as \"An MCP server for PostgreSQL that lets an AI client explore "
        "schemas and run read-only SQL\", one saying \"inspect\" where the other says \"explore\"."
    )
    fix = (
        "If both describe the same thing, merge them into the earlier entry; otherwise rewrite the summary to "
        "say what sets this one apart."
    )

    def report(self, entry: Entry, match: Match) -> Finding:
        return self.finding(
            entry, f"summary is {match.score:.0f}% similar to the summary of {self.other(match)}",
            line=entry.line_of("summary"), key=match.other.id,
            evidence=f"{match.other.id}: {clip(match.other.summary)}{match.detail}",
            fix=f"If this is the same thing as `{match.other.id}`, merge the two; otherwise rewrite the summary "
                f"to say what sets `{entry.id}` apart.",
        )
