"""The `crawl_items` table: where the workers of a shared site crawl put what they read (see
auditor/sources/site_shared.py). A row per (crawl, type, URL): a second worker writing the same page adds nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from auditor.store.models import CrawlItem


def item_key(item: dict[str, Any], worker: str) -> str:
    """What makes an item one: its URL (a `finished` item is one per worker)."""
    raw = worker if item.get("type") == "finished" else str(item.get("url") or "")
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def write_items(engine: Engine, crawl: str, site: str, worker: str, items: Iterable[dict[str, Any]]) -> None:
    """Insert the items, skipping any (crawl, type, URL) already there."""
    now = dt.datetime.now(dt.UTC)
    rows, seen = [], set()
    for item in items:
        key = (str(item.get("type")), item_key(item, worker))
        if key in seen:
            continue
        seen.add(key)
        rows.append({"crawl": crawl, "site": site[:200], "type": key[0][:20], "url_hash": key[1],
                     "worker": worker[:200], "document": item, "written_at": now})
    if not rows:
        return
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(CrawlItem).on_conflict_do_nothing(index_elements=["crawl", "type", "url_hash"])
    with engine.begin() as connection:
        connection.execute(statement, rows)


def read_items(engine: Engine, crawl: str) -> list[dict[str, Any]]:
    """The crawl's items in the order they were written."""
    with engine.connect() as connection:
        rows = connection.execute(select(CrawlItem.document).where(CrawlItem.crawl == crawl).order_by(CrawlItem.id))
        return [row[0] for row in rows]


def forget_other_crawls(engine: Engine, site: str, keep: str) -> int:
    """Delete the items of the site's earlier crawls (the runs keep what the audits made of them)."""
    with engine.begin() as connection:
        result = connection.execute(delete(CrawlItem).where(CrawlItem.site == site[:200], CrawlItem.crawl != keep))
    return max(result.rowcount, 0)
