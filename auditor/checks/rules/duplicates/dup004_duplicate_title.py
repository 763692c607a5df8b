from auditor.checks.rules.duplicates._index import DuplicateRule, Match
from auditor.models import Entry, Finding, Severity


class DuplicateTitle(DuplicateRule):
    code = "DUP004"
    name = "duplicates.duplicate-title"
    severity = Severity.warning
    part = "title"
    title = "Another entry of the same kind has the same title"
    what = (
        "Reports an entry whose title equals the title of another entry of the same kind once case, punctuation "
        "(but the ++ and # of C++ and C#) and the words in `title.ignore_words` (rules/duplicates.yml) are "
        "ignored. Reported once per pair, on "
        "the entry whose path sorts later, naming the earlier one. Entries of different kinds may share a title "
        "(a tool and its MCP server). In an awesome list only titles under the same heading are compared: a "
        "generic sub-list name such as \"Education\" recurs under many headings, and two bullets of one name "
        "that link repositories of different owners are two servers called alike (each author's \"Discord\"), not "
        "one listed twice."
    )
    why = "Readers pick from lists by title; two entries with one title cannot be told apart without opening both."
    example = "`Vector Vault` (tools/vector-vault.md) and `VectorVault` are different titles; `Vectorvault!` and `VectorVault` are the same."
    fix = "Merge the two if they are the same thing; otherwise make the titles say what differs (vendor, edition)."

    def report(self, entry: Entry, match: Match) -> Finding:
        return self.finding(
            entry, f"title `{entry.title}` is the same as the title of {self.other(match)}",
            line=entry.line_of("title"), key=match.other.id,
            evidence=f"{entry.id}: {entry.title} / {match.other.id}: {match.other.title}",
            fix=f"Merge `{entry.id}` into `{match.other.id}` if they are the same thing; otherwise make the titles "
                "say what differs.",
        )
