"""One audit, start to finish: source -> entries -> checks -> findings -> store and tickets -> report."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.checks.base import AuditContext
from auditor.checks.engine import all_rules, run_rules
from auditor.checks.registry import RegistryClient
from auditor.config import Config
from auditor.links.book import LinkBook
from auditor.links.history import StoreHistory
from auditor.models import Entry, Finding, Severity
from auditor.scoring import StalenessScore, score_entries
from auditor.sources.base import Progress, Source, no_progress
from auditor.store import runs as run_store
from auditor.store.db import open_engine, session_factory
from auditor.store.registry_cache import StoreCache
from auditor.tickets.sync import SyncResult, sync_tickets

_no_progress = no_progress


def load_entries(root: Path, config: Config, progress: Progress = _no_progress) -> list[Entry]:
    """The entries of a directory, read in its format (`input_format`: the content folder, or one detected)."""
    from auditor.sources.detect import source_for

    return source_for(root, config).load(config, progress)


def check_entries(
    entries: list[Entry], config: Config, as_of: dt.date, only: set[str] | None = None,
    progress: Progress = _no_progress, registry: RegistryClient | None = None,
    links: LinkBook | None = None, root: Path | None = None,
) -> list[Finding]:
    """Run the rules. With `only`, judge just those entry paths, still resolving against all entries.
    Without a `registry` client nothing asks a package registry: versions are "unverified".
    Without a `links` book no web link is fetched (internal links are still checked, against `root` when given)."""
    ctx = AuditContext.build(entries, config, as_of)
    targets = entries if only is None else [e for e in entries if e.path in only]
    ctx.targets, ctx.registry = targets, registry
    ctx.links, ctx.root = links, root
    return run_rules(targets, ctx, progress("checking", len(targets)))


def summarize(
    entries: list[Entry], findings: list[Finding], scores: dict[str, StalenessScore] | None = None
) -> dict[str, Any]:
    by_severity = Counter(f.severity.name for f in findings)
    by_family: dict[str, dict[str, int]] = {}
    for f in findings:
        family = by_family.setdefault(f.family, {"error": 0, "warning": 0, "info": 0})
        family[f.severity.name] += 1
    return {
        "entries": len(entries),
        "entries_with_findings": len({f.entry for f in findings}),
        "findings": len(findings),
        "by_severity": {name: by_severity.get(name, 0) for name in ("error", "warning", "info")},
        "by_family": dict(sorted(by_family.items())),
        **(_score_summary(scores) if scores is not None else {}),
    }


def _score_summary(scores: dict[str, StalenessScore]) -> dict[str, Any]:
    values = [s.score for s in scores.values()]
    bands = {"fresh": 0, "ageing": 0, "stale": 0}  # below 40, 40-69, 70 and up
    for value in values:
        bands["stale" if value >= 70 else "ageing" if value >= 40 else "fresh"] += 1
    return {"staleness": {"mean": round(sum(values) / len(values), 1) if values else 0.0, **bands}}


def worst_severity(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


@dataclass
class AuditResult:
    run_id: int
    directory: str
    as_of: dt.date
    entries: list[Entry]
    findings: list[Finding]
    summary: dict[str, Any]
    tickets: SyncResult
    db_url: str
    report_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_audit(
    root: Path,
    config: Config,
    as_of: dt.date,
    db_url: str,
    progress: Progress = _no_progress,
    check_links: bool = False,
    check_registries: bool = False,
    source: Source | None = None,
) -> AuditResult:
    """Audit a content folder (or, with `source`, entries from any source) and record it.
    Results land in one transaction: a run that fails midway is marked failed and leaves earlier runs and every
    ticket as they were.
    With `check_links` (and not the `offline` setting) web links are fetched, with their history in the store.
    With `check_registries` (and not `offline`) package registries are asked; without, versions are judged from
    the store's earlier registry answers where it has them, and are otherwise "unverified"."""
    from auditor.sources.detect import compact_read, read_summary, source_for

    if source is None:
        source = source_for(root, config)
    engine = open_engine(db_url)
    make_session = session_factory(engine)
    with make_session() as session:
        run_id = run_store.begin_run(session, config.name, source.location, source.kind, as_of)
    try:
        entries = source.load(config, progress)
        registry = RegistryClient.from_settings(config.settings, cache=StoreCache(engine))
        registry.offline = registry.offline or not check_registries
        links = None
        if check_links and not config.settings.get("offline"):
            links = LinkBook.from_settings(config.settings, config.pack, as_of, StoreHistory(engine),
                                           progress=progress, run_id=run_id)
        findings = check_entries(entries, config, as_of, progress=progress, registry=registry, links=links,
                                  root=source.root)
        scores = score_entries(entries, findings, as_of, config)
        summary = summarize(entries, findings, scores)
        if links is not None:
            summary["links"] = links.summary()
        if getattr(source, "crawl_summary", None):  # a live site's crawl: pages, errors, limits hit
            summary["crawl"] = source.crawl_summary
        read = read_summary(source)
        if read["formats"] or read["skipped"]:
            summary["read"] = compact_read(read)  # the store keeps counts; the returned summary every path
        intervals = {kind: config.kind_data(kind).get("review_interval_days") for kind in config.kinds}
        with make_session() as session, session.begin():
            run_store.record_entries_and_findings(session, run_id, entries, findings, scores)
            off_tickets = {rule.code for rule in all_rules() if not rule.on_tickets}
            ticketed = [f for f in findings if f.code not in off_tickets]
            tickets = sync_tickets(session, config.name, run_id, as_of, entries, ticketed, config.settings,
                                   intervals, scores)
            summary["tickets"] = tickets.counts()
            run_store.finish_run(session, run_id, len(entries), len(findings), summary)
        if "read" in summary:
            summary = {**summary, "read": read}
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"
        with make_session() as session:
            run_store.fail_run(session, run_id, status, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        engine.dispose()
        gc.unfreeze()  # loading froze the entries (see load_files); later runs in this process start clean
    return AuditResult(run_id, config.name, as_of, entries, findings, summary, tickets, db_url)
