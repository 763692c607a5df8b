"""What the maintainers' report shows, prepared from the store and kept apart from how it is rendered: the static
report (auditor/report.py) renders it with the templates under `reports/`, and anything else that shows a run (a
web app) can build the same view.

`build_view(session, run_id)` returns plain data: the run and the ones before it, what needs attention this week
(counted run by run), the issue types (one row per rule, one per directory convention), the entries in the order to
work them, the charts' series and whether links and registries were verified.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from auditor.checks.conventions import DIRECTORY_ID
from auditor.checks.engine import get_rule
from auditor.output import rule_url
from auditor.settings import DEFAULTS, PRIORITIES
from auditor.store import runs as run_store
from auditor.store.models import EntrySnapshot, FindingRow, Run, Ticket, TicketEvent
from auditor.tickets.actions import overdue_days
from auditor.tickets.sync import ticket_fingerprint

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
SEVERITY_WEIGHT = {"error": 10, "warning": 3, "info": 1}
STALE_SCORE = 70  # the staleness score from which an entry is in the `stale` band (auditor/scoring.py)
HISTORY_RUNS = 6  # "this week" counts: this run, the last run and the four before it
TREND_RUNS = 12  # runs the charts and the issue types' trend show
BANDS = ("fresh", "ageing", "stale", "unknown")
# Codes of findings about what could not be verified in a run: a link not checked, a version not asked.
UNVERIFIED_LINKS, UNVERIFIED_VERSIONS = "LNK005", "CAP008"


def entry_key(directory: str, entry_id: str) -> str:
    """An entry's stable key: its page's name in the report and its ticket's external key in exports."""
    return ticket_fingerprint(directory, entry_id)


_FINDING_KEYS = ("entry", "path", "line", "code", "name", "severity", "message", "evidence", "fix", "fingerprint",
                 "reason")


def _finding_rows(session: Session, run_id: int) -> list[dict[str, Any]]:
    # Plain rows, not ORM objects: a large run has tens of thousands of findings (zipped with their keys: a tenth
    # of a second less than reading each row's attributes by name, at 14 000 findings).
    columns = (FindingRow.entry_id, FindingRow.path, FindingRow.line, FindingRow.code, FindingRow.name,
               FindingRow.severity, FindingRow.message, FindingRow.evidence, FindingRow.fix, FindingRow.fingerprint,
               FindingRow.reason)
    rows = session.execute(select(*columns).where(FindingRow.run_id == run_id).order_by(FindingRow.id))
    keys = _FINDING_KEYS
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _fingerprints(session: Session, run_ids: list[int],
                  known: Mapping[int, set[str]] | None = None) -> dict[int, set[str]]:
    """The findings' fingerprints of each run; `known` gives those of some runs already read."""
    found: dict[int, set[str]] = {}
    for run_id in run_ids:
        kept = (known or {}).get(run_id)
        found[run_id] = kept if kept is not None else set(session.scalars(
            select(FindingRow.fingerprint).where(FindingRow.run_id == run_id)))
    return found


def _stale_sets(session: Session, run_ids: list[int],
                known: Mapping[int, set[str]] | None = None) -> dict[int, set[str]]:
    """The entries in the stale band in each run; `known` gives those of some runs already read."""
    found: dict[int, set[str]] = {run_id: set() for run_id in run_ids}
    wanted = [run_id for run_id in run_ids if (known or {}).get(run_id) is None]
    found.update({run_id: kept for run_id, kept in (known or {}).items() if run_id in found})
    if wanted:
        for run_id, entry_id in session.execute(
                select(EntrySnapshot.run_id, EntrySnapshot.entry_id)
                .where(EntrySnapshot.run_id.in_(wanted), EntrySnapshot.score >= STALE_SCORE)):
            found[run_id].add(entry_id)
    return found


def completed_runs(session: Session, directory: str, up_to: int, limit: int) -> list[Run]:
    """The directory's completed runs up to and including `up_to`, newest first."""
    return list(session.scalars(
        select(Run).where(Run.directory == directory, Run.status == "completed", Run.id <= up_to)
        .order_by(Run.id.desc()).limit(limit)))


def attention_counts(session: Session, runs: list[Run], prints: Mapping[int, set[str]] | None = None,
                     stale: Mapping[int, set[str]] | None = None) -> list[dict[str, Any]]:
    """For each run (newest first), what the top of the report counts: errors, overdue tickets (and how many of them
    fell due since the run before), entries that turned stale, new findings, reopened tickets, resolved findings and
    tickets. None where the store cannot tell (the oldest run has no run before it; runs recorded before the
    summary kept the ticket queue). `prints` and `stale` give the findings' fingerprints and the stale entries of
    runs the caller has read already (each run's are read once: at 50 000 entries some 14 000 fingerprints a run)."""
    ids = [r.id for r in runs]
    # The run before the oldest one shown, so that every shown run has something to compare with.
    before_oldest = run_store.previous_completed_run(session, runs[-1].directory, runs[-1].id) if runs else None
    pairs = ids + ([before_oldest.id] if before_oldest else [])
    prints, stale = _fingerprints(session, pairs, prints), _stale_sets(session, pairs, stale)
    rows = []
    for index, run in enumerate(runs):
        summary = run.summary or {}
        before = runs[index + 1] if index + 1 < len(runs) else before_oldest
        queue, tickets = summary.get("queue"), summary.get("tickets") or {}
        row: dict[str, Any] = {
            "run": run.id, "as_of": run.as_of,
            "errors": (summary.get("by_severity") or {}).get("error", 0),
            "overdue": queue.get("overdue") if queue else None,
            "became_overdue": (queue["became_overdue"] if queue and "became_overdue" in queue else None),
            "turned_stale": len(stale[run.id] - stale[before.id]) if before else None,
            "new": len(prints[run.id] - prints[before.id]) if before else None,
            "reopened": tickets.get("reopened"),
            "resolved": len(prints[before.id] - prints[run.id]) if before else None,
            "tickets_resolved": tickets.get("resolved"),
        }
        rows.append(row)
    return rows


def _rule_counts(session: Session, run_ids: list[int]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {run_id: Counter() for run_id in run_ids}
    if run_ids:
        for run_id, code, n in session.execute(
                select(FindingRow.run_id, FindingRow.code, func.count())
                .where(FindingRow.run_id.in_(run_ids), FindingRow.entry_id != DIRECTORY_ID)
                .group_by(FindingRow.run_id, FindingRow.code)):
            counts[run_id][code] = n
    return counts


def _convention_of(finding: dict[str, Any], conventions: list[dict[str, Any]]) -> dict[str, Any]:
    for item in conventions:
        if item.get("code") == finding["code"] and (not item.get("key") or f"`{item['key']}`" in finding["message"]):
            return item
    return {}


def issue_types(findings: list[dict[str, Any]], new_prints: set[str], trend_runs: list[Run],
                rule_counts: dict[int, Counter[str]], conventions: list[dict[str, Any]],
                settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per rule that fired on entries, and one per directory-wide convention (a rule that fires the same way
    on most entries, reported once with its configuration fix); conventions first, then the worst and widest."""
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = []
    for f in findings:
        if f["entry"] != DIRECTORY_ID:
            by_code[f["code"]].append(f)
            continue
        convention = _convention_of(f, conventions)
        rows.append({
            "slug": f"convention-{f['code']}-{f['fingerprint'][:8]}", "code": f["code"], "name": f["name"],
            "convention": True, "key": convention.get("key") or "", "severity": f["severity"],
            "entries": int(convention.get("entries") or 0), "of": convention.get("of"),
            "findings": int(convention.get("findings") or 0), "new": int(f["fingerprint"] in new_prints),
            "fix": f["fix"], "docs": rule_url(f["code"], f["name"], settings), "message": f["message"],
            "trend": [], "affected": [],
        })
    for code, items in by_code.items():
        rule = get_rule(code)
        one_line = rule.fix.strip().splitlines()[0] if rule is not None and rule.fix.strip() else items[0]["fix"]
        rows.append({
            "slug": code, "code": code, "name": items[0]["name"], "convention": False, "key": "",
            "severity": max((f["severity"] for f in items), key=SEVERITY_RANK.__getitem__),
            "entries": len({f["entry"] for f in items}), "of": None, "findings": len(items),
            "new": sum(1 for f in items if f["fingerprint"] in new_prints), "fix": one_line,
            "title": rule.title if rule is not None else "", "docs": rule_url(code, items[0]["name"], settings),
            "trend": [{"run": r.id, "as_of": r.as_of, "count": rule_counts[r.id][code]} for r in trend_runs],
            "affected": sorted({f["entry"] for f in items}),
        })
    rows.sort(key=lambda r: (not r["convention"], -SEVERITY_RANK[r["severity"]], -r["entries"], r["code"]))
    return rows


def order_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """What to do first: entries with more than info findings before info-only ones; among them, by their open
    ticket's priority, then their worst finding, then staleness (then the most findings, then the path)."""
    ticket = entry.get("ticket")
    priority = PRIORITIES.index(ticket["priority"]) if ticket and ticket["status"] == "open" else -1
    return (entry["worst"] == "info", -priority, -SEVERITY_RANK[entry["worst"]], -(entry["score"] or 0),
            -entry["weight"], entry["path"])


TICKET_COLUMNS = (Ticket.id, Ticket.status, Ticket.priority, Ticket.due, Ticket.owner, Ticket.assignee, Ticket.title,
                  Ticket.entry_id, Ticket.path, Ticket.snooze_reason, Ticket.findings, Ticket.opened_on)


def _ticket_view(ticket: Any, as_of: dt.date) -> dict[str, Any]:
    """A ticket (a row of TICKET_COLUMNS) as the view shows it."""
    return {"id": ticket.id, "status": ticket.status, "priority": ticket.priority, "due": ticket.due,
            "owner": ticket.owner, "assignee": ticket.assignee, "title": ticket.title, "entry": ticket.entry_id,
            "path": ticket.path, "overdue_days": overdue_days(ticket, as_of), "reason": ticket.snooze_reason,
            "findings": ticket.findings, "opened_on": ticket.opened_on}


def _chart_runs(runs: list[Run]) -> list[str]:
    return [f"#{r.id}" for r in runs]


def charts(trend: list[Run], entry_ages: dict[str, int] | None) -> list[dict[str, Any]]:
    """The report's charts: each a title, a description and series over labelled bars, drawn as inline SVG and
    given as a table too. `trend` is oldest first."""
    labels = _chart_runs(trend)
    summaries = [r.summary or {} for r in trend]
    found = [{
        "id": "chart-severity", "title": "Findings by severity, run by run", "stacked": True, "labels": labels,
        "dates": [str(r.as_of) for r in trend],
        "series": [{"name": sev, "cls": sev, "values": [(s.get("by_severity") or {}).get(sev, 0) for s in summaries]}
                   for sev in SEVERITIES],
    }, {
        "id": "chart-tickets", "title": "Open and overdue tickets, run by run", "stacked": False, "labels": labels,
        "dates": [str(r.as_of) for r in trend],
        "series": [{"name": name, "cls": cls,
                    "values": [(s.get("queue") or {}).get(name) for s in summaries]}
                   for name, cls in (("open", "open"), ("overdue", "error"))],
    }, {
        "id": "chart-staleness", "title": "Staleness of the entries, run by run", "stacked": True, "labels": labels,
        "dates": [str(r.as_of) for r in trend],
        "series": [{"name": band, "cls": f"band-{band}",
                    "values": [(s.get("staleness") or {}).get(band) for s in summaries]} for band in BANDS],
    }]
    if entry_ages:
        found.append({
            "id": "chart-ages", "title": "Entries by age (since the last review, or the last change)",
            "stacked": False, "labels": list(entry_ages), "dates": [],
            "series": [{"name": "entries", "cls": "open", "values": list(entry_ages.values())}],
        })
    for chart in found:
        chart["desc"] = chart_description(chart)
    return found


def chart_description(chart: Mapping[str, Any]) -> str:
    """The chart in one sentence, for screen readers (the SVG's <desc>)."""
    parts = []
    for index, label in enumerate(chart["labels"]):
        values = [f"{s['values'][index]} {s['name']}" for s in chart["series"] if s["values"][index] is not None]
        parts.append(f"{label}: {', '.join(values) or 'not recorded'}")
    return "; ".join(parts) + "."


def unverified(summary: Mapping[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What this run could not verify (links not checked, package versions not asked), with counts; None when it
    verified everything it looked at."""
    codes = Counter(f["code"] for f in findings)
    links = summary.get("links")
    link_findings, version_findings = codes.get(UNVERIFIED_LINKS, 0), codes.get(UNVERIFIED_VERSIONS, 0)
    unverified_links = int(((links or {}).get("by_verdict") or {}).get("unverified", 0)) if links else 0
    network_down = bool(links) and links.get("network") == "unavailable"
    if links and not (unverified_links or link_findings or version_findings or network_down):
        return None
    if links is None and not version_findings and not findings:
        return None
    return {"links_checked": links is not None, "network_down": network_down, "links": unverified_links,
            "link_findings": link_findings, "versions": version_findings,
            "findings": link_findings + version_findings}


def build_view(session: Session, run_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows about run `run_id`, as plain data (see the module's docstring)."""
    settings = settings or DEFAULTS
    run = session.get(Run, run_id)
    if run is None:
        raise ValueError(f"no run #{run_id}")
    summary = run.summary or {}
    findings = _finding_rows(session, run_id)
    previous = run_store.previous_completed_run(session, run.directory, run_id)
    before_prints = _fingerprints(session, [previous.id])[previous.id] if previous else set()
    now_prints = {f["fingerprint"] for f in findings}
    known_prints = {run_id: now_prints, **({previous.id: before_prints} if previous else {})}
    new = [f for f in findings if previous and f["fingerprint"] not in before_prints]
    # The run before's whole rows only when some of its findings are gone (usually few or none)
    resolved = ([f for f in _finding_rows(session, previous.id) if f["fingerprint"] not in now_prints]
                if previous and before_prints - now_prints else [])

    # The columns the view shows, as plain rows: not thousands of ORM objects with their bookkeeping
    ticket_rows = list(session.execute(select(*TICKET_COLUMNS).where(Ticket.directory == run.directory)))
    tickets = {t.entry_id: _ticket_view(t, run.as_of) for t in ticket_rows}
    columns = (EntrySnapshot.entry_id, EntrySnapshot.path, EntrySnapshot.title, EntrySnapshot.kind,
               EntrySnapshot.owner, EntrySnapshot.score)
    # The snapshots the view shows: the entries with findings, and the stale ones (those that turned stale this run
    # are listed), not every entry of the directory.
    with_findings = select(FindingRow.entry_id).where(FindingRow.run_id == run_id)
    snapshots = {s.entry_id: s for s in session.execute(select(*columns).where(
        EntrySnapshot.run_id == run_id,
        or_(EntrySnapshot.score >= STALE_SCORE, EntrySnapshot.entry_id.in_(with_findings))))}

    new_prints = {f["fingerprint"] for f in new}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        grouped[f["entry"]].append(f)
    entries = []
    for entry_id, items in grouped.items():
        items.sort(key=lambda f: (-SEVERITY_WEIGHT[f["severity"]], f["line"]))
        snap = snapshots.get(entry_id)
        ticket = tickets.get(entry_id)
        entries.append({
            "id": entry_id, "key": entry_key(run.directory, entry_id), "path": items[0]["path"],
            "title": (snap.title if snap else None) or ("Directory conventions" if entry_id == DIRECTORY_ID
                                                        else entry_id),
            "kind": snap.kind if snap else None, "owner": snap.owner if snap else None,
            "score": snap.score if snap else None,  # None: nothing dates the entry (unknown, not fresh)
            "weight": sum(SEVERITY_WEIGHT[f["severity"]] for f in items),
            "reasons": sorted({f["reason"] for f in items if f["reason"]}),
            "worst": items[0]["severity"], "findings": items,
            "new": sum(1 for f in items if f["fingerprint"] in new_prints),
            "ticket": ticket if ticket and ticket["status"] not in ("resolved", "wontfix") else None,
        })
    entries.sort(key=order_key)
    for position, entry in enumerate(entries, 1):
        entry["position"] = position
    by_id = {e["id"]: e for e in entries}

    history = completed_runs(session, run.directory, run_id, HISTORY_RUNS)
    trend = list(reversed(completed_runs(session, run.directory, run_id, TREND_RUNS)))
    conventions = list(summary.get("conventions") or [])
    types = issue_types(findings, new_prints, trend, _rule_counts(session, [r.id for r in trend]), conventions,
                        settings)

    stale_now = _stale_sets(session, [run_id] + ([previous.id] if previous else []))
    turned_stale = sorted(stale_now[run_id] - stale_now[previous.id]) if previous else []
    overdue = sorted((t for t in tickets.values() if t["overdue_days"]),
                     key=lambda t: (-t["overdue_days"], -PRIORITIES.index(t["priority"]), t["id"]))
    became_overdue = {t["id"] for t in overdue if previous and t["due"] >= previous.as_of}
    run_events = list(session.execute(
        select(TicketEvent.ticket_id, TicketEvent.kind).where(TicketEvent.run_id == run_id)))
    by_ticket_id = {t.id: tickets[t.entry_id] for t in ticket_rows}
    reopened = [by_ticket_id[tid] for tid, kind in run_events if kind == "reopened" and tid in by_ticket_id]
    tickets_resolved = [by_ticket_id[tid] for tid, kind in run_events if kind == "resolved" and tid in by_ticket_id]
    errors = [e for e in entries if e["worst"] == "error"]
    open_tickets = [t for t in tickets.values() if t["status"] == "open"]

    return {
        "run": run, "previous": previous, "summary": summary, "directory": run.directory,
        "findings_count": len(findings), "entries": entries, "by_id": by_id, "new": new, "resolved": resolved,
        "attention": {
            "errors": errors, "overdue": overdue, "became_overdue": became_overdue,
            "turned_stale": [by_id.get(e) or {"id": e, "title": snapshots[e].title or e, "path": snapshots[e].path,
                                              "key": None, "score": snapshots[e].score}
                             for e in turned_stale if e in snapshots],
            "new": new, "reopened": reopened, "resolved": resolved, "tickets_resolved": tickets_resolved,
            "counts": attention_counts(session, history, known_prints, stale_now),
        },
        "issue_types": types, "trend": trend, "charts": charts(trend, (summary.get("staleness") or {}).get("ages")),
        "unverified": unverified(summary, findings),
        "tickets_open": len(open_tickets),
        "tickets_snoozed": sum(1 for t in tickets.values() if t["status"] == "snoozed"),
        "wontfix": sorted((t for t in tickets.values() if t["status"] == "wontfix"), key=lambda t: t["id"]),
        "stalest": sorted((e for e in entries if e["score"]), key=lambda e: (-e["score"], e["path"]))[:10],
    }
