"""The link checker: which links an entry has, what each one answers, and what that means over time.

- `extract`  links in an entry (front matter and body), internal ones told apart from web links
- `net`      DNS resolution with the private-address guard, wired into httpx's connections
- `content`  reading a page: title, visible text, ids; soft 404, parked, challenge and login-wall markers
- `checker`  the async httpx checker: limits, HEAD then GET, redirects, retries, verdicts
- `history`  "dead means dead over time": confirmation across checks, TTL cache, in memory or in the store
- `book`     one run's links: extraction, cache, checking, network-down detection, Wayback suggestions;
             the LNK rules read it from `AuditContext.links`
"""

from auditor.links.results import VERDICTS, LinkResult

__all__ = ["VERDICTS", "LinkResult"]
