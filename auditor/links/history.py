"""Dead means dead over time: every URL's standing across checks, and when a failure counts.

A URL's standing is its last result, when it was last seen alive and since when it has been failing (the
first `broken` check after it was last alive). A `broken` result is *confirmed* (it becomes a finding that
opens a ticket) when

- the URL has been failing on checks at least `fail_after` apart (default 24 hours), or
- the URL was never seen alive and the failure is definitive (404, 410, a name that does not resolve, a
  parked domain, a soft 404, a redirect loop): a new link in CI fails at once.

`blocked` and `unverified` results leave the standing alone: they are not evidence either way. The standing
lives in the store (`link_urls`, `link_checks`) for `audit`, and in memory for `check` and `links check`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from auditor.links.results import DEFINITIVE, LinkResult

if TYPE_CHECKING:
    from sqlalchemy import Engine

ALIVE = ("alive", "redirected", "fragment-missing")  # the page answered: it is alive, whatever else is wrong


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass
class Standing:
    url: str
    last: LinkResult | None
    first_seen_at: dt.datetime
    last_alive_at: dt.datetime | None = None
    failing_since: dt.datetime | None = None
    checks: int = 0

    def updated(self, result: LinkResult) -> Standing:
        now = result.checked_at or dt.datetime.now(dt.UTC)
        new = Standing(self.url, result, self.first_seen_at, self.last_alive_at, self.failing_since, self.checks + 1)
        if result.verdict in ALIVE:
            new.last_alive_at, new.failing_since = now, None
        elif result.verdict == "broken":
            new.failing_since = self.failing_since or now
        return new


def confirmed(before: Standing | None, result: LinkResult, fail_after: dt.timedelta) -> tuple[bool, dt.datetime | None]:
    """Whether a broken result counts, and since when the URL has been failing."""
    now = result.checked_at or dt.datetime.now(dt.UTC)
    if result.verdict != "broken":
        return True, None
    since = (before.failing_since if before is not None and before.failing_since else None) or now
    if result.from_cache and before is not None and before.failing_since:
        since = before.failing_since
    if now - since >= fail_after:
        return True, since
    ever_alive = before is not None and before.last_alive_at is not None
    return (not ever_alive and result.code in DEFINITIVE), since


class History(Protocol):
    def get_many(self, urls: list[str]) -> dict[str, Standing]: ...

    def record(self, results: list[LinkResult], run_id: int | None = None) -> None: ...


class MemoryHistory:
    """Standings for as long as the process lives (`auditor check`, `auditor links check`, tests)."""

    def __init__(self) -> None:
        self.rows: dict[str, Standing] = {}
        self.checks: list[tuple[str, dt.datetime, str]] = []

    def get_many(self, urls: list[str]) -> dict[str, Standing]:
        return {url: self.rows[url] for url in urls if url in self.rows}

    def record(self, results: list[LinkResult], run_id: int | None = None) -> None:
        for result in results:
            now = result.checked_at or dt.datetime.now(dt.UTC)
            before = self.rows.get(result.url) or Standing(result.url, None, now)
            self.rows[result.url] = before.updated(result)
            self.checks.append((result.url, now, result.verdict))


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class StoreHistory:
    """Standings in the store. Each write is its own short transaction, apart from the run's results: what a
    URL answered is true whether or not the run that asked finishes."""

    def __init__(self, engine: Engine) -> None:
        from sqlalchemy.orm import sessionmaker  # here: `check` and `links check` keep their history in memory

        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def get_many(self, urls: list[str]) -> dict[str, Standing]:
        from sqlalchemy import select

        from auditor.store.models import LinkUrl

        hashes = {url_hash(url): url for url in urls}
        found: dict[str, Standing] = {}
        keys = list(hashes)
        with self.sessions() as session:
            for start in range(0, len(keys), 500):
                for row in session.scalars(select(LinkUrl).where(LinkUrl.url_hash.in_(keys[start:start + 500]))):
                    found[row.url] = _standing(row)
        return found

    def record(self, results: list[LinkResult], run_id: int | None = None) -> None:
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from auditor.store.models import LinkCheck, LinkUrl

        for start in range(0, len(results), 500):
            chunk = results[start:start + 500]
            for _attempt in range(2):  # a concurrent run may insert the same URL first: then update it
                with self.sessions() as session:
                    rows = {row.url_hash: row for row in session.scalars(
                        select(LinkUrl).where(LinkUrl.url_hash.in_([url_hash(r.url) for r in chunk])))}
                    for result in chunk:
                        now = result.checked_at or dt.datetime.now(dt.UTC)
                        key = url_hash(result.url)
                        row = rows.get(key)
                        if row is None:
                            row = LinkUrl(url_hash=key, url=result.url, first_seen_at=now, checks=0)
                            session.add(row)
                            rows[key] = row
                        standing = (_standing(row) if row.checked_at is not None
                                    else Standing(result.url, None, now)).updated(result)
                        row.verdict, row.status, row.document = result.verdict, result.status, result.document()
                        row.checked_at, row.checks = now, standing.checks
                        row.last_alive_at, row.failing_since = standing.last_alive_at, standing.failing_since
                        session.flush()
                        session.add(LinkCheck(url_id=row.id, run_id=run_id, checked_at=now, verdict=result.verdict,
                                              status=result.status, code=result.code[:40]))
                    try:
                        session.commit()
                    except IntegrityError:
                        session.rollback()
                        continue
                break

    def checks_of(self, url: str) -> list[dict[str, Any]]:
        """Every recorded check of one URL, oldest first."""
        from sqlalchemy import select

        from auditor.store.models import LinkCheck, LinkUrl

        with self.sessions() as session:
            row = session.scalars(select(LinkUrl).filter_by(url_hash=url_hash(url))).one_or_none()
            if row is None:
                return []
            checks = session.scalars(select(LinkCheck).filter_by(url_id=row.id).order_by(LinkCheck.id))
            return [{"checked_at": _aware(c.checked_at), "verdict": c.verdict, "status": c.status, "code": c.code}
                    for c in checks]


def _standing(row: Any) -> Standing:
    checked_at = _aware(row.checked_at)
    last = LinkResult.from_document(dict(row.document or {}) | {"url": row.url}, checked_at) if row.document else None
    return Standing(row.url, last, _aware(row.first_seen_at) or checked_at, _aware(row.last_alive_at),
                    _aware(row.failing_since), row.checks or 0)
