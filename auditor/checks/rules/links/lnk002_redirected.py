from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import Used, WebLinkRule, evidence
from auditor.models import Edit, Entry, Finding, Severity


class Redirected(WebLinkRule):
    code = "LNK002"
    name = "links.redirected"
    severity = Severity.warning
    reason = "LINK_MOVED"
    title = "A link is permanently redirected elsewhere"
    what = "Reports web links that answer with a permanent redirect (301 or 308, possibly several) to a page that is alive; the fix is the address the permanent redirects lead to. Temporary redirects (302, 303, 307) are left alone, and redirects to a login page count as a login wall (LNK006)."
    why = "A permanent redirect says the page has a new address. Old addresses stop redirecting when sites are rebuilt, and a link to the real address is faster and survives that."
    example = "`https://example.com/docs/widgets` answers 301 to `https://docs.example.com/widgets/`."
    fix = "Point the link at the address the redirect leads to."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            result = judgement.result
            if result.verdict != "redirected" or judgement.network_down or not result.suggestion:
                continue
            yield self.finding(entry, f"link {used.url} has moved permanently to {result.suggestion}", line=used.line,
                               key=used.url, evidence=evidence(used, judgement),
                               fix=f"Replace {used.url} with {result.suggestion}",
                               edit=_edit(entry, used, result.suggestion))


def _edit(entry: Entry, used: Used, target: str) -> Edit | None:
    """The link's target in place of the URL, where it is written once (several uses: each is for an editor)."""
    if len(used.uses) != 1 or any(ch.isspace() for ch in target):
        return None
    path, line = entry.locate(used.line)
    return Edit(path, line, used.url, target)
