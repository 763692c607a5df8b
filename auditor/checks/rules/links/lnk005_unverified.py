from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import WebLinkRule, evidence
from auditor.models import Entry, Finding, Severity


class Unverified(WebLinkRule):
    code = "LNK005"
    name = "links.unverified"
    severity = Severity.info
    reason = "LINK_UNVERIFIED"
    on_tickets = False
    title = "A link could not be verified this time"
    what = "Says so for web links the run could not judge: timed out (`link_timeout`), rate limited with no lift within `link_retry_after_cap`, a DNS server or route that failed, the whole network unavailable (most hosts failing before HTTP), or a failure that does not count yet: the link has been alive before, or the failure is one that can pass (a 5xx, a refused connection), and it has not failed on checks `link_fail_after_hours` apart. Always info: it opens no ticket, and the next run checks again."
    why = "A check that could not run must not look like a pass, and a transient fault must not look like a dead page: editors stop reading tickets after a few false alarms."
    example = "`https://example.com/pricing` timed out after 10 s; or it answered 503 today after answering 200 last week."
    fix = "Nothing to do unless it repeats; a link that keeps failing on checks a day apart becomes LNK001."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            result = judgement.result
            if result.verdict == "unverified" and result.code != "private-address":
                message = f"link {used.url} could not be verified: {result.reason}"
            elif result.verdict == "broken" and (not judgement.confirmed or judgement.network_down):
                if judgement.network_down:
                    message = f"link {used.url} was not judged (the network was unavailable): {result.reason}"
                else:
                    since = judgement.failing_since.date() if judgement.failing_since else None
                    hours = float(ctx.config.settings.get("link_fail_after_hours", 24))
                    message = (f"link {used.url} failed ({result.reason}) but does not count yet: it counts once it "
                               f"has failed on checks {hours:g} h apart (failing since {since})")
            elif judgement.network_down and result.verdict in ("redirected", "fragment-missing"):
                message = f"link {used.url} was not judged (the network was unavailable): {result.reason}"
            else:
                continue
            yield self.finding(entry, message, line=used.line, key=used.url, evidence=evidence(used, judgement))
