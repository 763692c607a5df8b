from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import WebLinkRule, evidence
from auditor.models import Entry, Finding, Severity


class PrivateAddress(WebLinkRule):
    code = "LNK007"
    name = "links.private-address"
    severity = Severity.warning
    reason = "LINK_PRIVATE"
    title = "A link points at a private, loopback or metadata address"
    what = "Reports web links the checker refused to fetch because the host resolves to (or a redirect leads to) a private, loopback, link-local, carrier-grade NAT or cloud metadata address. The check happens after DNS resolution and again on every redirect. `--allow-private-addresses` (or the `allow_private_addresses` setting) lifts it for intranet directories, tests and benchmarks. A refusal never counts towards the network being unavailable; only when the canary's well-known names (`link_canary_hosts`) resolve to private addresses too (a captive portal or a hijacked resolver) are these links LNK005 infos instead."
    why = "Links come from contributors: a public directory's link to `localhost` or `10.0.0.5` is useless to readers at best, and at worst an attempt to make the checker probe the network it runs in."
    example = "`docs: http://localhost:8080/docs`, or `https://example.com/go` redirecting to `http://169.254.169.254/`."
    fix = "Replace it with the public address of the page, or remove it."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            if judgement.result.code == "private-address" and not judgement.network_down:
                yield self.finding(entry, f"link {used.url} was {judgement.result.reason}", line=used.line,
                                   key=used.url, evidence=evidence(used, judgement))
