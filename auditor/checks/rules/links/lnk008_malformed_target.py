from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.links.extract import malformed_links
from auditor.models import Entry, Finding, Severity


class MalformedTarget(Rule):
    depends_on = "entry"
    code = "LNK008"
    name = "links.malformed-target"
    severity = Severity.error
    reason = "LINK_BROKEN"
    title = "A link's target is not an address"
    what = (
        "Reports Markdown links whose target cannot be followed as written, without the network: a target that is "
        "itself a Markdown link (`[x](<[https://a](https://b)>)`, pasted twice) or a web address with a mistyped "
        "or doubled scheme (`https:/x.com`, `https//x.com`, `https://https://x.com`, `htps://x.com`). Fenced code "
        "and inline code are skipped."
    )
    why = "The reader clicks a link that goes nowhere (or to a path on the directory's own site), and no checker "\
          "that fetches URLs reports it, because it never looks like a URL to fetch."
    example = "`- **[Acme](<[https://acme.dev](https://acme.dev)>)** - Acme's MCP server.`"
    fix = "Write one plain address as the target: `[Acme](https://acme.dev)`."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for line, target, why in malformed_links(entry):
            if target.startswith("["):  # which of the two addresses was meant is the writer's call
                text, _, href = target[1:].rstrip(")").partition("](")
                fix = f"Write one plain address as the target: it holds two, `{text}` and `{href}`."
            else:
                fix = "Correct the address's scheme: `https://` followed by the host."
            yield self.finding(entry, f"link target `{target}` is not an address: {why}", line=line,
                               key=target, evidence=target, fix=fix)
