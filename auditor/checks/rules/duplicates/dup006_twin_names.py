from auditor.checks.rules.duplicates._index import DuplicateRule, Match
from auditor.models import Entry, Finding, Severity


class TwinNames(DuplicateRule):
    code = "DUP006"
    name = "duplicates.twin-names"
    severity = Severity.warning
    part = "twin"
    title = "Another entry has the same name spelt with other separators"
    what = (
        "Reports an entry whose name (its id, or the last part of it: a skill's folder, a data file's slug) "
        "equals another same-kind entry's once case, `_`, `-`, dots and spaces are ignored, when their titles "
        "agree the same way (or one has none) and they do not both link a project (two links are DUP005's pair "
        "when equal, and two projects when not: `arxiv_mcp` and `arxiv-mcp` by two authors). Reported once per pair, on the entry whose path sorts later; a "
        "pair that is an exact duplicate (DUP001) gets only that finding."
    )
    why = (
        "`zoho_mail-automation` and `zoho-mail-automation` are one thing added twice, usually by two "
        "contributors or a renaming that left the old copy behind; readers and tools see two entries that "
        "cannot be told apart."
    )
    example = "`skills/zoho_mail-automation/` and `skills/zoho-mail-automation/`, both titled Zoho Mail automation."
    fix = "Keep one of the two (the one whose name follows the directory's convention) and delete the other."

    def report(self, entry: Entry, match: Match) -> Finding:
        return self.finding(
            entry, f"`{entry.id}` is {self.other(match)} spelt with other separators or case",
            line=entry.line_of("title"), key=match.other.id,
            evidence=f"{entry.id}: {entry.title or ''} / {match.other.id}: {match.other.title or ''}",
            fix=f"Keep one of `{entry.id}` and `{match.other.id}` and delete the other; point `related` lists and "
                "links at the one you keep.",
        )
