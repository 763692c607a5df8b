"""The link checker: which links an entry has, what each one answers, and what that means over time.

- `extract`  links in an entry (front matter and body), internal ones told apart from web links
- `net`      DNS resolution with the private-address guard, wired into httpx's connections
- `content`  reading a page: title, visible text, ids; soft 404, parked, challenge and login-wall markers
- `checker`  the async httpx checker: limits, HEAD then GET, redirects, retries, verdicts
- `history`  "dead means dead over time": confirmation across checks, TTL cache, in memory or in the store
- `book`     one run's links: extraction, cache, checking, network-down detection, Wayback suggestions;
             the LNK rules read it from `AuditContext.links`
"""

import sys
import types

from auditor.links.results import VERDICTS, LinkResult


def _main() -> None:
    raise SystemExit("httpx's command-line client is not loaded in the auditor")


# `import httpx` also imports its command-line client (httpx._main), and with it rich's progress bars and syntax
# highlighting and pygments, when they are installed (the auditor has rich): 30-40 ms before a link check's first
# request, for a client it never runs. The placeholder keeps it out; it is put only when httpx is not loaded yet.
if "httpx" not in sys.modules:
    _placeholder = types.ModuleType("httpx._main", "(not loaded: see auditor.links)")
    _placeholder.main = _main  # type: ignore[attr-defined]
    sys.modules.setdefault("httpx._main", _placeholder)

__all__ = ["VERDICTS", "LinkResult"]
