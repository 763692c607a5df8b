from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import WebLinkRule, evidence
from auditor.models import Entry, Finding, Severity


class Blocked(WebLinkRule):
    code = "LNK006"
    name = "links.blocked"
    severity = Severity.info
    reason = "LINK_BLOCKED"
    on_tickets = False
    title = "A link's site refuses the checker (bot protection or a login wall)"
    what = "Says so for web links whose site answered with bot protection (a challenge page, `cf-mitigated: challenge`, 999, 403) or a login wall (401, or a redirect to a sign-in page). The markers are in `rules/links.yml`. Always info: this is not evidence that the page is gone, and it opens no ticket."
    why = "Calling a protected page dead is the classic false alarm of link checkers; saying nothing would hide that the link was never really checked."
    example = "`https://www.linkedin.com/company/example` answers 999; a Cloudflare site answers 403 with `cf-mitigated: challenge`."
    fix = "Check the link by hand in a browser now and then; if the site should be reachable, add its status to `link_accept_status` or a token to `link_headers`."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            if judgement.result.verdict == "blocked":
                yield self.finding(entry, f"link {used.url} was not checked: {judgement.result.reason}",
                                   line=used.line, key=used.url, evidence=evidence(used, judgement))
