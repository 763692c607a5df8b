"""Where a redirect chain lands, told from the URLs alone: a deep link sent to its site's home page has lost its
page (the usual way a site retires one, and a soft 404 to search engines), unlike `/` sent to `/en/` or `http`
sent to `https`. The checker (auditor.links.checker) adds what only requests can tell: where the site's `/`
leads (its root listing) and where a random path that cannot exist is sent (a login or generic error page).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

# Paths that are a home page themselves: the root, an index file, a locale's root (`/en/`, `/pt-BR`), `/home`.
_HOME_LIKE = re.compile(r"/*(index\.\w+|default\.\w+|home|start|welcome|[a-z]{2}([-_][a-z]{2,4})?)?/*", re.IGNORECASE)


def deep(url: str) -> bool:
    """Whether a link names a page below its site's home page (a query on the root does not make it one)."""
    return not _HOME_LIKE.fullmatch(urlsplit(url).path)


def home_path(parts: SplitResult) -> bool:
    """The root itself: `/` with no query (`/?p=12` is a page of its own on many sites)."""
    return parts.path in ("", "/") and not parts.query


def shallow(parts: SplitResult) -> bool:
    """One path segment at most (`/en/`, `/index.html`): where a site's root listing may live."""
    return parts.path.strip("/").count("/") == 0


def _site(parts: SplitResult) -> str:
    """The host without `www.`, with its port when that is not the scheme's own (so http and https match)."""
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    port = parts.port
    return host if port is None or port in (80, 443) else f"{host}:{port}"


def same_site(a: str, b: str) -> bool:
    """Hosts of one site: the same name give or take `www.`, or one a subdomain of the other (docs.x.com, x.com)."""
    one, two = _site(urlsplit(a)), _site(urlsplit(b))
    return bool(one and two) and (one == two or one.endswith("." + two) or two.endswith("." + one))


def same_page(a: str, b: str) -> bool:
    """The same page whatever its query says (a login page's `?next=`, an error page's `?from=`) and whether it is
    reached over http or https."""
    one, two = urlsplit(a), urlsplit(b)
    return (_site(one), one.path.rstrip("/")) == (_site(two), two.path.rstrip("/"))


def route_fragment(fragment: str) -> bool:
    """A fragment that is an app's route (`/#/docs/x`, `#!/docs`): the page is reached by script, not lost."""
    return fragment.startswith(("/", "!"))
