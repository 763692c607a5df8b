"""Tables of the store. Schema changes go through an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory: Mapped[str] = mapped_column(String(200), index=True)  # the directory's configured name
    root: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(50))
    as_of: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | failed | interrupted
    entries_count: Mapped[int] = mapped_column(Integer, default=0)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # host:pid of the process running it (migration 0007): a `running` run whose process is gone was killed
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)


class EntrySnapshot(Base):
    __tablename__ = "entry_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # staleness 0-100 (migration 0003)


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(40), default="")  # migration 0003


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("directory", "entry_id", name="uq_ticket_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32), unique=True)
    directory: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | snoozed | resolved | wontfix
    priority: Mapped[str] = mapped_column(String(10))  # low | normal | high | urgent
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    snooze_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it is quiet (snoozed or wontfix)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    score: Mapped[int] = mapped_column(Integer, default=0)  # the entry's staleness score (migration 0003)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # REVIEW_DUE, STAT_AGE, ... (migration 0003)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    updated_on: Mapped[dt.date] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketEvent(Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[dt.date] = mapped_column(Date)
    # opened | updated | resolved | reopened | claimed | assigned | snoozed | woke | wontfix
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class RegistryCacheRow(Base):
    """A package registry's answer about one package, kept for `registry_cache_ttl_hours` (migration 0002)."""

    __tablename__ = "registry_cache"
    __table_args__ = (UniqueConstraint("registry", "base_url", "name", name="uq_registry_cache_package"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # `registry` is the Declarative base's own attribute, so the column gets another Python name.
    registry_name: Mapped[str] = mapped_column("registry", String(20))  # pypi | npm
    base_url: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # ok | not-found (unverified answers are never cached)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LinkUrl(Base):
    """One URL's standing across runs: its last result and when it was last alive (migration 0004)."""

    __tablename__ = "link_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the URL (URLs outgrow indexes)
    url: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))  # alive | redirected | broken | blocked | unverified | ...
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the last LinkResult in full
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_alive_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)


class LinkCheck(Base):
    """Every check of a URL that went to the network: the URL's history (migration 0004)."""

    __tablename__ = "link_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_id: Mapped[int] = mapped_column(ForeignKey("link_urls.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str] = mapped_column(String(20))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    code: Mapped[str] = mapped_column(String(40), default="")


class Lock(Base):
    """A lease on one directory's audits, held by one scheduler process at a time across machines (migration 0005).
    A row stays after release: `slot` remembers the scheduled time of the last audit started under it."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # the directory's configured name
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)  # host:pid, None when free
    acquired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # lease end
    slot: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CrawlItem(Base):
    """What a site crawl read, written by the crawl's workers (one process or many machines) and read back by the
    audit that started it (migration 0006). Each (crawl, type, URL) is one row, however many workers reach it."""

    __tablename__ = "crawl_items"
    __table_args__ = (UniqueConstraint("crawl", "type", "url_hash", name="uq_crawl_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl: Mapped[str] = mapped_column(String(64), index=True)  # the crawl's id (random, per audit)
    site: Mapped[str] = mapped_column(String(200), index=True)  # the site profile's name
    type: Mapped[str] = mapped_column(String(20))  # page | entry | error | skipped | finished
    url_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the URL (a worker's id for `finished`)
    worker: Mapped[str] = mapped_column(String(200))  # host:pid of the worker that wrote it
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the item (see auditor/sources/site_crawl.py)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


Index("ix_findings_run_entry", FindingRow.run_id, FindingRow.entry_id)
Index("ix_tickets_directory_status", Ticket.directory, Ticket.status)
