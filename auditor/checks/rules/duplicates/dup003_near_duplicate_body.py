from auditor.checks.rules.duplicates._index import DuplicateRule, Match
from auditor.models import Entry, Finding, Severity


class NearDuplicateBody(DuplicateRule):
    code = "DUP003"
    name = "duplicates.near-duplicate-body"
    severity = Severity.warning
    part = "body"
    title = "The body nearly repeats another entry's"
    what = (
        "Reports an entry whose body (everything after the front matter) is at least `body.similarity` percent "
        "similar (rapidfuzz ratio of the lowercased words) to the body of another entry of the same kind. Bodies "
        "shorter than `body.min_words` words are not compared. Only pairs that share a line few other entries "
        "have are scored (see `blocking` in rules/duplicates.yml), so two entries built from the same template "
        "are not compared for the template's sake, and bodies that differ where the titles (or, without titles, the "
        "ids) differ are one template written up for two subjects. Reported once per pair, on the entry whose "
        "path sorts later."
    )
    why = (
        "A copied body is usually an entry started from another one and never finished, or one tool listed "
        "twice; either way one of the two is wrong about something."
    )
    example = "`mcp/postgres-mcp-pro.md` has the body of `mcp/postgres-mcp.md` with two bullets reworded."
    fix = "Merge the two entries, or rewrite this body around what is specific to this entry."

    def report(self, entry: Entry, match: Match) -> Finding:
        return self.finding(
            entry, f"body is {match.score:.0f}% similar to the body of {self.other(match)}",
            line=entry.body_start, key=match.other.id, evidence=match.detail,
            fix=f"Merge `{entry.id}` into `{match.other.id}`, or rewrite its body around what is specific to it.",
        )
