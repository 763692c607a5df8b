from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.site._site import MISSING_STATUSES, line_of_url, related_items
from auditor.models import Entry, Finding, Severity


class InternalLinkMissing(Rule):
    code = "SIT005"
    name = "site.internal-link-missing"
    severity = Severity.error
    depends_on = "ids"
    reason = "LINK_BROKEN"
    title = "A link to another page of the site answers 404"
    what = "Reports links from a crawled entry page to other pages of the same site (in the body and the Related block, or where the profile's `internal_links` says) that answered 404 or 410 during the crawl. Related items are SIT003's."
    why = "The crawl has just asked for the page, so a 404 is a fact about the live site, not a guess from file names: readers following the link land on an error page."
    example = "The GitHub MCP page links to /guides/github-token/, which was never published."
    fix = "Correct the link, publish the page, or remove the link."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        related_urls = {item.get("url") for item in related_items(entry)}
        for link in (entry.site or {}).get("internal_links") or []:
            if link.get("status") not in MISSING_STATUSES or link.get("url") in related_urls:
                continue
            match = ctx.closest_id(link["url"].rstrip("/").rsplit("/", 1)[-1], besides=entry.id)
            fix = (f"Did you mean {ctx.by_id[match].path}?" if match
                   else "Correct the link, publish the page, or remove the link.")
            yield self.finding(
                entry, f"link {link['url']} answers HTTP {link['status']}", line=line_of_url(entry, link["url"]),
                key=link["url"], evidence=f"[{link.get('text') or ''}]({link['url']})", fix=fix,
            )
