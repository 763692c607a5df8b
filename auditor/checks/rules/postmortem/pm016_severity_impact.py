from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class SeverityImpact(DocumentRule):
    code = "PM016"
    name = "postmortem.severity-impact"
    severity = Severity.warning
    title = "The incident's severity does not agree with its impact"
    what = (
        "Finds the level the impact calls for — from `postmortem.impact.scope` (complete_outage, "
        "major_feature_broken, degraded_experience, minor_issue: `policy.levels[].scope`), else from the words "
        "of `postmortem.impact.description` (`policy.levels[].words`, most severe first) — and reports an "
        "`incident.severity` that differs."
    )
    why = "Severity drives who is paged, how fast users hear, and whether a post-mortem is required."
    example = "`severity: P2` with `impact: {scope: complete_outage}`."
    fix = "Grade the incident by its impact, or correct the impact if it is the one that is wrong."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        severity = doc.text("incident.severity").strip()
        levels = ctx.policy.levels
        if severity not in ctx.policy.level_names:
            return
        scope = doc.text("postmortem.impact.scope").strip()
        expected, basis, where = None, "", "postmortem.impact.scope"
        if scope:
            expected = next((level for level in levels if level.scope == scope), None)
            basis = f"impact scope {scope}"
        else:
            description = doc.text("postmortem.impact.description")
            where = "postmortem.impact.description"
            for level in levels:
                match = prose.word_regex(level.words).search(description) if level.words else None
                if match:
                    expected, basis = level, f"the impact says \u201c{match.group(0)}\u201d"
                    break
        if expected is None or expected.name == severity:
            return
        yield self.at(doc, "incident.severity", f"graded {severity}, but {basis} is {expected.name} "
                                                f"({expected.impact})",
                      evidence=f"severity: {severity}; {where.split('.')[-1]}: {doc.text(where)}",
                      fix=f"Grade the incident {expected.name}, or correct the impact.")
