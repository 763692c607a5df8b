from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class UnreadablePostmortem(DocumentRule):
    code = "PM001"
    name = "postmortem.unreadable"
    severity = Severity.error
    judges_unreadable = True
    title = "The post-mortem file cannot be read as a post-mortem document"
    what = (
        "Reports a post-mortem file that is empty, not UTF-8, not valid YAML (or Markdown whose front matter is "
        "not), not a mapping, or without an `incident:` mapping, with the line where the broken construct began. "
        "The other PM rules skip such a file; the other files are still validated."
    )
    why = "A post-mortem nobody can parse drops out of validation and of the trigger and root-cause statistics."
    example = "`timeline: [{at: 2026-11-02T09:14:00Z, description: \"paged\"}` with the closing `]` missing."
    fix = "Fix the YAML at the line shown (quote values holding `: ` or `#`, close brackets and quotes)."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        for problem in doc.problems:
            yield self.finding(doc, problem.message, line=problem.line, evidence=problem.evidence,  # type: ignore[arg-type]
                               key=f"{problem.kind}:{problem.field or ''}")
