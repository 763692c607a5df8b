"""Canned link verdicts for rule cases: `links:` in a tests/rules/cases/LNK*.yml case.

    links:
      https://example.com/gone: {verdict: broken, status: 404, code: http-404, reason: HTTP 404}
      https://example.com/flaky: {verdict: broken, status: 503, code: http-5xx, reason: HTTP 503,
                                  alive_hours_ago: 48, failing_hours: 2}

Each URL answers what the case says, at the case's clock; `alive_hours_ago` and `failing_hours` seed its
history (seen alive that long ago; failing since that long ago). Everything else - confirmation over time,
network-down detection, the rules - runs for real. No request leaves the process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from auditor.config import Config
from auditor.links.book import LinkBook
from auditor.links.history import MemoryHistory, Standing
from auditor.links.results import LinkResult

FIELDS = ("verdict", "status", "final_url", "chain", "reason", "code", "suggestion", "network_level")


class CannedBook(LinkBook):
    def __init__(self, canned: dict[str, dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.canned = canned

    def fetch(self, urls: list[str], previous: dict[str, LinkResult],
              advance: Callable[[int], None] | None) -> dict[str, LinkResult]:
        now = self.now()
        results = {}
        for url in urls:
            spec = self.canned.get(url)
            if spec is not None:
                fields = {k: v for k, v in spec.items() if k in FIELDS}
                results[url] = LinkResult(url, checked_at=now, **({"final_url": url} | fields))
        return results


def links_for_case(spec: dict[str, dict[str, Any]], config: Config, as_of: dt.date) -> CannedBook:
    now = dt.datetime.combine(as_of, dt.time(12, 0), dt.UTC)
    history = MemoryHistory()
    for url, item in spec.items():
        if "alive_hours_ago" in item or "failing_hours" in item:
            alive = failing = None
            if "alive_hours_ago" in item:
                alive = now - dt.timedelta(hours=float(item["alive_hours_ago"]))
            if "failing_hours" in item:
                failing = now - dt.timedelta(hours=float(item["failing_hours"]))
            history.rows[url] = Standing(url, None, alive or failing or now, alive, failing, 1)
    settings = config.settings | {"link_wayback_url": ""}
    return CannedBook(spec, settings, LinkBook.from_settings(settings, config.pack, as_of).markers, as_of, history,
                      now=lambda: now)
