from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.site._site import MISSING_STATUSES, line_of_url
from auditor.models import Entry, Finding, Severity


class CrawlError(Rule):
    code = "SIT006"
    name = "site.crawl-error"
    severity = Severity.info
    depends_on = "entry"
    reason = "CRAWL"
    on_tickets = False
    title = "Part of a crawled page could not be read or checked"
    what = "Says so when the crawl could not judge something on an entry page: a link to another page of the site that failed other than with 404 (a 5xx after retries, a timeout, a refused connection, a redirect off the site), or a part of the page the profile names that the page does not have (no body). Always info: it opens no ticket; the next crawl tries again. Pages the profile says to read that fail outright become STR001 findings."
    why = "A crawl error must not look like a pass, and a transient fault must not look like a broken page."
    example = "The page links to /status/, which answered 503 three times."
    fix = "Nothing to do unless it repeats; if it does, look at the page or the profile's selectors."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        site = entry.site or {}
        for problem in site.get("problems") or []:
            yield self.finding(entry, problem, line=1, key=problem)
        for link in site.get("internal_links") or []:
            error = link.get("error")
            if not error or error in ("robots", "not-crawled") or link.get("status") in MISSING_STATUSES:
                continue
            status = f"HTTP {link['status']}" if link.get("status") is not None else error
            yield self.finding(
                entry, f"link {link['url']} could not be checked: {status} ({error})",
                line=line_of_url(entry, link["url"]), key=link["url"],
                evidence=link["url"],
            )
