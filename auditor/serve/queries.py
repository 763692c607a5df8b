"""What the app's pages show, read from the store: any completed run, its entries and findings, and the tickets."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auditor import report_view
from auditor.checks.conventions import DIRECTORY_ID
from auditor.checks.engine import get_rule
from auditor.scoring import BANDS, band_of
from auditor.store import runs as run_store
from auditor.store.models import EntrySnapshot, FindingRow, Run, Ticket
from auditor.tickets.actions import STATUSES

SEVERITIES = ("error", "warning", "info")
PAGE_SIZE = 100


def family_of(code: str) -> str:
    """A rule's family: the letters of its code (STL001 -> STL)."""
    return "".join(ch for ch in code if ch.isalpha())


def completed_runs(session: Session, directory: str | None, limit: int = 50) -> list[Run]:
    query = select(Run).where(Run.status == "completed").order_by(Run.id.desc()).limit(limit)
    if directory:
        query = query.where(Run.directory == directory)
    return list(session.scalars(query))


def pick_run(session: Session, directory: str | None, run_id: int | None) -> Run | None:
    """The run asked for (of this directory), else the latest completed one."""
    if run_id is not None:
        run = session.get(Run, run_id)
        if run is not None and run.status == "completed" and (directory is None or run.directory == directory):
            return run
        return None
    runs = completed_runs(session, directory, 1)
    return runs[0] if runs else None


def _findings(session: Session, run_id: int) -> list[Any]:
    columns = (FindingRow.entry_id, FindingRow.code, FindingRow.name, FindingRow.severity, FindingRow.fingerprint,
               FindingRow.fix, FindingRow.message)
    return list(session.execute(select(*columns).where(FindingRow.run_id == run_id)))


def _scores(session: Session, run_id: int) -> dict[str, int | None]:
    rows = session.execute(select(EntrySnapshot.entry_id, EntrySnapshot.score).where(EntrySnapshot.run_id == run_id))
    return {entry_id: score for entry_id, score in rows}


def is_overdue(ticket: Ticket, as_of: dt.date) -> bool:
    return ticket.status == "open" and ticket.due is not None and ticket.due < as_of


def overview(session: Session, run: Run) -> dict[str, Any]:
    """The numbers of one run against the run before it: what needs attention, then what got better."""
    previous = run_store.previous_completed_run(session, run.directory, run.id)
    findings = _findings(session, run.id)
    before = _findings(session, previous.id) if previous else []
    before_prints = {f.fingerprint for f in before}
    now_prints = {f.fingerprint for f in findings}
    new = [f for f in findings if previous and f.fingerprint not in before_prints]
    scores = _scores(session, run.id)
    before_scores = _scores(session, previous.id) if previous else {}
    turned_stale = [
        entry for entry, score in scores.items()
        if band_of(score) == "stale" and previous and band_of(before_scores.get(entry)) != "stale"
    ]
    titles = {entry_id: title or entry_id for entry_id, title in session.execute(
        select(EntrySnapshot.entry_id, EntrySnapshot.title)
        .where(EntrySnapshot.run_id == run.id, EntrySnapshot.entry_id.in_(turned_stale[:200])))}
    bands = Counter(band_of(score) for score in scores.values())
    tickets = list(session.scalars(select(Ticket).where(Ticket.directory == run.directory)))
    overdue = sorted((t for t in tickets if is_overdue(t, run.as_of)), key=lambda t: (t.due, t.id))
    reopened = [t for t in tickets if t.status == "open" and t.reopen_count]
    trend = list(reversed(report_view.completed_runs(session, run.directory, run.id, report_view.TREND_RUNS)))
    means = {run_id: mean for run_id, mean in session.execute(
        select(EntrySnapshot.run_id, func.avg(EntrySnapshot.score))
        .where(EntrySnapshot.run_id.in_([r.id for r in trend])).group_by(EntrySnapshot.run_id)
    )}
    history = report_view.completed_runs(session, run.directory, run.id, report_view.HISTORY_RUNS)
    return {
        # The static report's counts and charts, from the same functions: this run against the five before it.
        "history": report_view.attention_counts(session, history),
        "charts": report_view.charts(trend, ((run.summary or {}).get("staleness") or {}).get("ages")),
        "run": run, "previous": previous, "summary": run.summary or {},
        "by_severity": Counter(f.severity for f in findings),
        "new": Counter(f.severity for f in new), "new_count": len(new),
        "resolved_count": len(before_prints - now_prints),
        "turned_stale": sorted(((entry_id, titles.get(entry_id, entry_id), scores[entry_id])
                                for entry_id in turned_stale), key=lambda item: (-(item[2] or 0), item[0])),
        "bands": {band: bands.get(band, 0) for band in BANDS},
        "overdue": overdue, "reopened": reopened,
        "tickets": Counter(t.status for t in tickets),
        "trend": [{"run": r, "mean": round(float(means[r.id]), 1) if means.get(r.id) is not None else None}
                  for r in trend],
    }


def issue_types(session: Session, run: Run) -> list[dict[str, Any]]:
    """One row per rule that fired in the run, and one per directory-wide convention finding (a rule firing the same
    way on most entries, collapsed into one finding whose fix is a configuration line): severity, entries affected,
    findings, new this run, the fix. Conventions first, then the worst, then the widest."""
    previous = run_store.previous_completed_run(session, run.directory, run.id)
    before = {f.fingerprint for f in _findings(session, previous.id)} if previous else set()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for f in _findings(session, run.id):
        convention = f.entry_id == DIRECTORY_ID
        key = (f.code, f.fingerprint if convention else "")
        row = rows.get(key)
        if row is None:
            rule = get_rule(f.code)
            row = rows[key] = {
                "code": f.code, "name": f.name, "family": family_of(f.code), "severity": f.severity,
                "title": f.message if convention else (rule.title if rule else f.name),
                # A convention's fix is its configuration line; a rule's row gives the rule's general fix.
                "fix": f.fix if convention or rule is None else rule.fix.strip().splitlines()[0],
                "convention": convention, "entries": set(), "findings": 0, "new": 0,
            }
        if SEVERITIES.index(f.severity) < SEVERITIES.index(row["severity"]):
            row["severity"] = f.severity
        row["entries"].add(f.entry_id)
        row["findings"] += 1
        row["new"] += bool(previous) and f.fingerprint not in before
    result = [{**row, "entries": len(row["entries"])} for row in rows.values()]
    result.sort(key=lambda r: (not r["convention"], SEVERITIES.index(r["severity"]), -r["entries"], r["code"]))
    return result


@dataclass
class EntryFilter:
    """The entries page's search and filters; empty values filter nothing."""

    q: str = ""
    rule: str = ""
    family: str = ""
    severity: str = ""
    kind: str = ""
    owner: str = ""
    band: str = ""
    ticket: str = ""  # a ticket status, `none` (no ticket) or `overdue`
    page: int = 1
    active: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params: Any) -> EntryFilter:
        names = ("q", "rule", "family", "severity", "kind", "owner", "band", "ticket")
        values = {name: str(params.get(name) or "").strip()[:200] for name in names}
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            page = 1
        return cls(**values, page=page, active={k: v for k, v in values.items() if v})


@dataclass
class RunIndex:
    """What the entries page filters on for one completed run: it never changes, so the app keeps it (a cache of
    a few runs) and only the tickets are read on each request."""

    snaps: list[Any]
    codes: dict[str, set[str]]
    worst: dict[str, int]  # entry id -> index in SEVERITIES of its worst finding
    counts: Counter[str]


def run_index(session: Session, run: Run) -> RunIndex:
    snaps = session.execute(
        select(EntrySnapshot.entry_id, EntrySnapshot.path, EntrySnapshot.title, EntrySnapshot.kind,
               EntrySnapshot.owner, EntrySnapshot.score).where(EntrySnapshot.run_id == run.id)
    ).all()
    index = RunIndex(snaps=list(snaps), codes=defaultdict(set), worst={}, counts=Counter())
    for entry_id, code, severity in session.execute(
            select(FindingRow.entry_id, FindingRow.code, FindingRow.severity).where(FindingRow.run_id == run.id)):
        index.codes[entry_id].add(code)
        index.counts[entry_id] += 1
        index.worst[entry_id] = min(index.worst.get(entry_id, 3), SEVERITIES.index(severity))
    return index


def entries(session: Session, run: Run, wanted: EntryFilter, index: RunIndex | None = None) -> dict[str, Any]:
    """The run's entries that pass the filter, worst first, a page at a time, with the choices each filter offers."""
    index = index or run_index(session, run)
    snaps, codes, worst, counts = index.snaps, index.codes, index.worst, index.counts
    tickets = {t.entry_id: t for t in session.execute(
        select(Ticket.id, Ticket.entry_id, Ticket.status, Ticket.due).where(Ticket.directory == run.directory))}
    needle = wanted.q.lower()

    def keep(s: Any) -> bool:
        entry_codes = codes.get(s.entry_id, set())
        ticket = tickets.get(s.entry_id)
        if needle and not any(needle in (v or "").lower() for v in (s.entry_id, s.path, s.title, s.owner)):
            return False
        if wanted.rule and wanted.rule.upper() not in entry_codes:
            return False
        if wanted.family and wanted.family.upper() not in {family_of(c) for c in entry_codes}:
            return False
        if wanted.severity and (s.entry_id not in worst or SEVERITIES[worst[s.entry_id]] != wanted.severity):
            return False
        if wanted.kind and (s.kind or "") != wanted.kind:
            return False
        if wanted.owner and (s.owner or "") != wanted.owner:
            return False
        if wanted.band and band_of(s.score) != wanted.band:
            return False
        if wanted.ticket:
            if wanted.ticket == "none":
                return ticket is None
            if wanted.ticket == "overdue":
                return ticket is not None and is_overdue(ticket, run.as_of)
            return ticket is not None and ticket.status == wanted.ticket
        return True

    chosen = [s for s in snaps if keep(s)]
    chosen.sort(key=lambda s: (worst.get(s.entry_id, 3), -(s.score or 0), s.path))
    start = (wanted.page - 1) * PAGE_SIZE
    rows = [{
        "id": s.entry_id, "path": s.path, "title": s.title or s.entry_id, "kind": s.kind, "owner": s.owner,
        "score": s.score, "band": band_of(s.score), "findings": counts.get(s.entry_id, 0),
        "worst": SEVERITIES[worst[s.entry_id]] if s.entry_id in worst else None,
        "codes": sorted(codes.get(s.entry_id, ())), "ticket": tickets.get(s.entry_id),
    } for s in chosen[start:start + PAGE_SIZE]]
    all_codes = sorted({c for cs in codes.values() for c in cs})
    return {
        "rows": rows, "total": len(chosen), "of": len(snaps), "page": wanted.page,
        "pages": max(1, -(-len(chosen) // PAGE_SIZE)),
        "choices": {
            "rule": all_codes, "family": sorted({family_of(c) for c in all_codes}), "severity": list(SEVERITIES),
            "kind": sorted({s.kind for s in snaps if s.kind}), "owner": sorted({s.owner for s in snaps if s.owner}),
            "band": list(BANDS), "ticket": [*STATUSES, "overdue", "none"],
        },
    }


def entry_detail(session: Session, run: Run, entry_id: str) -> dict[str, Any] | None:
    """One entry in one run: its findings in full, its ticket with history, and its findings across runs."""
    snap = session.scalars(
        select(EntrySnapshot).where(EntrySnapshot.run_id == run.id, EntrySnapshot.entry_id == entry_id)
    ).first()
    if snap is None:
        return None
    findings = list(session.scalars(
        select(FindingRow).where(FindingRow.run_id == run.id, FindingRow.entry_id == entry_id)
        .order_by(FindingRow.line, FindingRow.id)
    ))
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.line))
    ticket = session.scalars(
        select(Ticket).where(Ticket.directory == run.directory, Ticket.entry_id == entry_id)
    ).first()
    per_run = session.execute(
        select(Run.id, Run.as_of, FindingRow.code, func.count(FindingRow.id))
        .join(FindingRow, FindingRow.run_id == Run.id)
        .where(Run.directory == run.directory, Run.status == "completed", FindingRow.entry_id == entry_id)
        .group_by(Run.id, Run.as_of, FindingRow.code).order_by(Run.id.desc())
    ).all()
    history: dict[int, dict[str, Any]] = {}
    for run_id, as_of, code, count in per_run:
        item = history.setdefault(run_id, {"run": run_id, "as_of": as_of, "codes": {}})
        item["codes"][code] = count
    rules = {f.code: get_rule(f.code) for f in findings}
    return {
        "snap": snap, "band": band_of(snap.score), "findings": findings, "ticket": ticket, "rules": rules,
        "reasons": sorted({f.reason for f in findings if f.reason}), "history": list(history.values()),
    }
