"""What the SIT rules share: the crawl data a site entry carries, and where on it a finding points."""

from __future__ import annotations

from typing import Any

from auditor.checks.base import AuditContext
from auditor.models import Entry

MISSING_STATUSES = (404, 410)


def related_items(entry: Entry) -> list[dict[str, Any]]:
    block = (entry.site or {}).get("related") or {}
    return list(block.get("items") or [])


def related_line(entry: Entry) -> int:
    return entry.line_of("related", 1)


def site_setting(ctx: AuditContext, key: str, default: Any) -> Any:
    return (ctx.pack.get("site") or {}).get(key, default)




def line_of_url(entry: Entry, url: str) -> int:
    """The first body line that holds `url` (1 when none does)."""
    for offset, text in enumerate(entry.body_lines):
        if url in text:
            return entry.body_start + offset
    return 1
