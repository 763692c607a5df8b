"""The files a static site could build a route from: `/learning-hub/cookbook/` from `src/pages/learning-hub/
cookbook/index.astro`, `docs/setup` from `docs/setup/index.md`. Page folders and suffixes are in rules/routes.yml.
"""

from __future__ import annotations

import posixpath
from typing import Any

DEFAULTS: dict[str, Any] = {"pages_dirs": ["src/pages", "website/src/pages", "pages"],
                            "page_suffixes": ["", ".md", ".mdx", "/index.md", "/index.mdx", "/README.md"]}


def page_files(path: str, settings: dict[str, Any] | None) -> list[str]:
    """The files that would serve `path` (a directory path, no leading slash) as a page, in the order to try."""
    bare = posixpath.normpath(path).strip("/") if path.strip("/") else ""
    if bare.startswith(".."):
        return []
    suffixes = (settings or {}).get("page_suffixes") or DEFAULTS["page_suffixes"]
    return [f"{bare}{suffix}" if bare else suffix.lstrip("/") for suffix in suffixes if bare or suffix]


def route_files(route: str, settings: dict[str, Any] | None, content_root: str | None = None) -> list[str]:
    """The files under the site's page folders that would serve the site route `route` (`/a/b/`)."""
    config = settings or {}
    dirs = list(config.get("pages_dirs") or DEFAULTS["pages_dirs"])
    if content_root and "/content/" in f"/{content_root}/":
        site_src = f"/{content_root}".rsplit("/content/", 1)[0].strip("/")
        dirs.insert(0, f"{site_src}/pages" if site_src else "pages")
    inner = route.strip("/")
    found: list[str] = []
    for folder in dict.fromkeys(dirs):
        found += [f"{folder}/{name}" if name else folder for name in page_files(inner, config)]
    return found


__all__ = ["page_files", "route_files"]
