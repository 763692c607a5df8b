from auditor.checks.rules.duplicates._index import DuplicateRule, Match
from auditor.models import Entry, Finding, Severity


class ExactDuplicate(DuplicateRule):
    code = "DUP001"
    name = "duplicates.exact-duplicate"
    severity = Severity.error
    part = "exact"
    title = "The entry repeats another entry word for word"
    what = (
        "Reports an entry whose title, summary and body are the same as another entry's once case, whitespace "
        "and punctuation are ignored (front matter such as dates, owner and links is not compared). Entries of "
        "any kind are compared. The pair is reported once, on the entry whose path (without `.md`) sorts later, "
        "naming the earlier one; such a pair gets no other DUP finding. Entries under `exact.min_words` words "
        "(rules/duplicates.yml) are left out."
    )
    why = (
        "Two copies of one entry drift apart: one gets corrected, the other keeps the old facts, and readers "
        "and search engines see the directory repeat itself."
    )
    example = "`tools/vectorvault-copy.md` is `tools/vectorvault.md` with `updated:` changed."
    fix = (
        "Delete the copy and point every `related` list that names it at the earlier entry; move anything only "
        "the copy has (a newer date, an owner) into the earlier one first."
    )

    def report(self, entry: Entry, match: Match) -> Finding:
        return self.finding(
            entry, f"same title, summary and body as {self.other(match)}", line=entry.line_of("title"),
            evidence=f"title: {entry.title or ''}", key=match.other.id,
            fix=f"Delete this entry and point `related` lists that name `{entry.id}` at `{match.other.id}`; "
                f"move anything only this copy has into `{match.other.path}` first.",
        )
