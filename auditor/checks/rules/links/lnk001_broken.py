from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import WebLinkRule, evidence
from auditor.models import Entry, Finding, Severity


class Broken(WebLinkRule):
    code = "LNK001"
    name = "links.broken"
    severity = Severity.error
    reason = "LINK_BROKEN"
    title = "A link leads to a dead page"
    what = "Reports web links whose page is gone: HTTP 404 or 410, a name that does not resolve, a refused connection, a redirect loop or an over-long redirect chain, a 5xx on every retry, a soft 404 (a 200 page that says \"not found\", looks just like the host's answer for a path that cannot exist, or is the site's home page or login or error page that a deep link redirects to) or a parked domain. A link that has been alive is reported only once it has failed on checks at least `link_fail_after_hours` (24) apart; a link never seen alive that answers 404/410, does not resolve, is parked, is a soft 404 or loops is reported at once. A link that failed before HTTP (DNS, refused, timeout, TLS) is not reported when the network itself does not work (the canary hosts `link_canary_hosts` cannot be reached, or most hosts failed so): it is an LNK005 info instead; nothing is checked under `--offline`. The fix offers an archived copy from the Wayback Machine when there is one, and says none was found only when the archive answered."
    why = "A dead link is the most visible rot in a directory, and readers stop trusting the entry around it. Waiting for a second failure a day apart keeps a flaky or briefly down site from opening a ticket."
    example = "`docs: https://example.com/widgets/v1/guide` answers 404 since the vendor moved its docs."
    fix = "Find the page's new address (the vendor's site search, or the archived copy the finding suggests) and update the link, or remove it."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            result = judgement.result
            if result.verdict != "broken" or not judgement.confirmed or judgement.network_down:
                continue
            since = f"; failing since {judgement.failing_since.date()}" if judgement.failing_since and \
                judgement.failing_since.date() < (result.checked_at or judgement.failing_since).date() else ""
            if result.suggestion:
                fix = f"Replace it with the page's new address, or with the archived copy {result.suggestion}"
            elif ctx.links is not None and used.url in ctx.links.archive_asked:
                fix = "Find the page's new address and update the link, or remove it (no archived copy was found)."
            else:  # the archive was not asked (or could not be reached): claim nothing about it
                fix = "Find the page's new address and update the link, or remove it."
            yield self.finding(entry, f"link {used.url} is broken: {result.reason}{since}", line=used.line,
                               key=used.url, evidence=evidence(used, judgement), fix=fix)
