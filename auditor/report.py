"""The maintainers' report: built from the store, rendered by the Jinja2 templates under `reports/`."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auditor import __version__
from auditor.checks.engine import get_rule
from auditor.outfiles import write_output
from auditor.safe_text import html_user
from auditor.shipped import shipped
from auditor.store import runs as run_store
from auditor.store.db import open_engine, session_factory
from auditor.store.models import EntrySnapshot, FindingRow, Run, Ticket

TEMPLATES = shipped("reports")
SEVERITY_WEIGHT = {"error": 10, "warning": 3, "info": 1}
TREND_RUNS = 12


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """Escape untrusted text, then show `backticked` parts as code."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = lambda text: html_user(text, render=inline_code)
    env.filters["user"] = html_user
    env.filters["web_url"] = web_url
    return env


def web_url(value: object) -> bool:
    """Whether a value may be a link's href: an http(s) address, never `javascript:` or `data:`."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def _finding_dict(row: Any) -> dict[str, Any]:
    return {
        "entry": row.entry_id, "path": row.path, "line": row.line, "code": row.code, "name": row.name,
        "severity": row.severity, "message": row.message, "evidence": row.evidence, "fix": row.fix,
        "fingerprint": row.fingerprint, "reason": row.reason,
    }


def _finding_rows(session: Session, run_id: int) -> list[Any]:
    # Plain rows, not ORM objects: a large run has tens of thousands of findings, twice (this run and the last).
    columns = (FindingRow.entry_id, FindingRow.path, FindingRow.line, FindingRow.code, FindingRow.name,
               FindingRow.severity, FindingRow.message, FindingRow.evidence, FindingRow.fix, FindingRow.fingerprint,
               FindingRow.reason)
    return list(session.execute(select(*columns).where(FindingRow.run_id == run_id).order_by(FindingRow.id)))


def build_context(session: Session, run_id: int) -> dict[str, Any]:
    run = session.get(Run, run_id)
    if run is None:
        raise ValueError(f"no run #{run_id}")
    findings = [_finding_dict(r) for r in _finding_rows(session, run_id)]
    previous = run_store.previous_completed_run(session, run.directory, run_id)
    before_rows = _finding_rows(session, previous.id) if previous else []
    before = {f.fingerprint: _finding_dict(f) for f in before_rows}
    now_prints = {f["fingerprint"] for f in findings}
    new = [f for f in findings if previous and f["fingerprint"] not in before]
    resolved = [f for fp, f in before.items() if fp not in now_prints]

    tickets = {t.entry_id: t for t in session.scalars(select(Ticket).where(Ticket.directory == run.directory))}
    snapshots = {s.entry_id: s for s in _snapshots(session, run_id)}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        grouped[f["entry"]].append(f)
    entries = []
    for entry_id, items in grouped.items():
        items.sort(key=lambda f: (-SEVERITY_WEIGHT[f["severity"]], f["line"]))
        snap = snapshots.get(entry_id)
        ticket = tickets.get(entry_id)
        entries.append({
            "id": entry_id, "path": items[0]["path"], "title": (snap.title if snap else None) or entry_id,
            "kind": snap.kind if snap else None, "owner": snap.owner if snap else None,
            "score": (snap.score if snap and snap.score is not None else 0),
            "weight": sum(SEVERITY_WEIGHT[f["severity"]] for f in items),
            "reasons": sorted({f["reason"] for f in items if f["reason"]}),
            "worst": items[0]["severity"], "findings": items,
            "ticket": ticket if ticket and ticket.status != "resolved" else None,
        })
    # Stalest first; among equally stale entries, the one with the worse findings.
    entries.sort(key=lambda e: (-e["score"], -e["weight"], e["path"]))
    stalest = sorted((s for s in snapshots.values() if s.score), key=lambda s: (-s.score, s.path))[:10]
    trend = list(reversed(session.scalars(
        select(Run).where(Run.directory == run.directory, Run.status == "completed", Run.id <= run_id)
        .order_by(Run.id.desc()).limit(TREND_RUNS)
    ).all()))
    codes = sorted({f["code"] for f in findings})
    rules = {code: get_rule(code) for code in codes}
    open_tickets = [t for t in tickets.values() if t.status != "resolved"]
    return {
        "run": run, "previous": previous, "summary": run.summary, "findings": findings, "new": new,
        "resolved": resolved, "entries": entries, "trend": trend, "rules": rules, "stalest": stalest,
        "trend_scores": _mean_scores(session, [r.id for r in trend]),
        "tickets_open": len([t for t in open_tickets if t.status == "open"]),
        "tickets_snoozed": len([t for t in open_tickets if t.status == "snoozed"]),
        "wontfix": sorted((t for t in open_tickets if t.status == "wontfix"), key=lambda t: t.id),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
        "max_trend": max([r.findings_count for r in trend] + [1]),
    }


def _mean_scores(session: Session, run_ids: list[int]) -> dict[int, float]:
    """The mean staleness score of each run, for the trend table."""
    if not run_ids:
        return {}
    rows = session.execute(
        select(EntrySnapshot.run_id, func.avg(EntrySnapshot.score))
        .where(EntrySnapshot.run_id.in_(run_ids)).group_by(EntrySnapshot.run_id)
    )
    return {run_id: round(float(mean), 1) for run_id, mean in rows if mean is not None}


def _snapshots(session: Session, run_id: int) -> list[Any]:
    # Plain rows of the columns the report shows: building 50 000 ORM objects costs seconds.
    columns = (EntrySnapshot.entry_id, EntrySnapshot.path, EntrySnapshot.title, EntrySnapshot.kind,
               EntrySnapshot.owner, EntrySnapshot.score)
    return list(session.execute(select(*columns).where(EntrySnapshot.run_id == run_id)))


def write_report(db_url: str, run_id: int, out_dir: Path, advice: str = "choose another folder") -> Path:
    """Write index.html for one run into out_dir and return its path (WriteError, saying `advice`, when the folder
    cannot take it: readers never see half a report)."""
    engine = open_engine(db_url)
    try:
        with session_factory(engine)() as session:
            context = build_context(session, run_id)
            html = environment().get_template("report.html.j2").render(**context)
    finally:
        engine.dispose()
    path = out_dir / "index.html"
    write_output(path, html, advice)
    return path
