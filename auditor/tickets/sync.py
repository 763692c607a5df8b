"""Keeping tickets in step with a run's findings: open, update, resolve, reopen and escalate."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auditor.models import Entry, Finding, Severity
from auditor.scoring import StalenessScore, reasons
from auditor.store.models import Ticket, TicketEvent
from auditor.store.runs import now
from auditor.tickets.priority import compute_priority, due_date

ACTOR = "auditor"


@dataclass
class SyncResult:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    woke: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("opened", "updated", "resolved", "reopened", "woke")}


def ticket_fingerprint(directory: str, entry_id: str) -> str:
    return hashlib.sha1(f"{directory}\x1f{entry_id}".encode()).hexdigest()[:16]


def _is_stale(entry: Entry, as_of: dt.date, interval: int | None, factor: float) -> bool:
    if entry.reviewed is None or not interval:
        return False
    return (as_of - entry.reviewed).days > interval * factor


def _event(ticket: Ticket, run_id: int | None, as_of: dt.date, kind: str, note: str) -> None:
    ticket.events.append(TicketEvent(run_id=run_id, at=now(), as_of=as_of, kind=kind, actor=ACTOR, note=note))


def _codes(findings: list[dict[str, Any]]) -> str:
    return ", ".join(sorted({f["code"] for f in findings}))


def sync_tickets(
    session: Session,
    directory: str,
    run_id: int,
    as_of: dt.date,
    entries: list[Entry],
    findings: list[Finding],
    settings: dict[str, Any],
    review_intervals: dict[str, int],
    scores: dict[str, StalenessScore] | None = None,
    quiet: list[Finding] | None = None,
) -> SyncResult:
    """Apply one completed run to the tickets of a directory, inside the caller's transaction. `quiet` are the
    findings won't-fix tickets cover (auditor/tickets/wontfix.py): such a ticket stays as it is while they are
    there, reopens when the entry has a finding it does not cover, and is resolved when it has none."""
    result = SyncResult()
    kept_quiet: dict[str, list[Finding]] = defaultdict(list)
    for finding in quiet or []:
        kept_quiet[finding.entry].append(finding)
    threshold = Severity.parse(settings["ticket_min_severity"])
    by_entry: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_entry[finding.entry].append(finding)
    entries_by_id = {entry.id: entry for entry in entries}
    tickets = {t.entry_id: t for t in session.scalars(select(Ticket).where(Ticket.directory == directory))}

    for entry_id, entry_findings in by_entry.items():
        entry = entries_by_id.get(entry_id)
        if entry is None or not any(f.severity >= threshold for f in entry_findings):
            continue
        score = scores[entry_id].score if scores and entry_id in scores else 0
        stale = (_is_stale(entry, as_of, review_intervals.get(entry.kind or ""), float(settings["stale_factor"]))
                 or score >= int(settings["stale_score"]))
        current = [f.as_record() for f in entry_findings]
        why = reasons(entry_findings)
        ticket = tickets.get(entry_id)
        title = f"Refresh {entry.title or entry_id}"
        if ticket is None:
            priority = compute_priority((f.severity for f in entry_findings), stale, 0)
            ticket = Ticket(
                fingerprint=ticket_fingerprint(directory, entry_id), directory=directory, entry_id=entry_id,
                path=entry.path, title=title, status="open", priority=priority, owner=entry.owner,
                due=due_date(as_of, priority, settings), reopen_count=0, findings=current, score=score, reasons=why,
                opened_on=as_of, updated_on=as_of, last_run_id=run_id, events=[],
            )
            session.add(ticket)
            _event(ticket, run_id, as_of, "opened",
                   f"{len(current)} finding(s): {_codes(current)}; priority {priority}")
            session.flush()
            result.opened.append(ticket.id)
            continue

        previous = {f["fingerprint"] for f in ticket.findings}
        ticket.title, ticket.path, ticket.owner, ticket.last_run_id = title, entry.path, entry.owner, run_id
        if ticket.status == "wontfix":  # the entry has a finding the decision did not cover: it is open again
            current += [f.as_record() for f in kept_quiet.get(entry_id, [])]
            ticket.status, ticket.snooze_reason = "open", None
            ticket.priority = compute_priority((f.severity for f in entry_findings), stale, ticket.reopen_count)
            ticket.due = due_date(as_of, ticket.priority, settings)
            _event(ticket, run_id, as_of, "reopened",
                   f"won't fix no longer covers the findings ({_codes(current)}: new, or their evidence changed)")
            result.reopened.append(ticket.id)
        if ticket.status == "resolved":
            ticket.reopen_count += 1
            ticket.status = "open"
            ticket.resolved_on = None
            old = ticket.priority
            ticket.priority = compute_priority((f.severity for f in entry_findings), stale, ticket.reopen_count)
            ticket.due = due_date(as_of, ticket.priority, settings)
            _event(ticket, run_id, as_of, "reopened",
                   f"findings came back ({_codes(current)}); priority raised from {old} to {ticket.priority}")
            result.reopened.append(ticket.id)
        elif ticket.status == "snoozed":
            if ticket.snoozed_until is not None and as_of >= ticket.snoozed_until:
                ticket.status = "open"
                _event(ticket, run_id, as_of, "woke", f"snooze until {ticket.snoozed_until} ended")
                ticket.snoozed_until, ticket.snooze_reason = None, None
                result.woke.append(ticket.id)
        if ticket.status == "open" and ticket.id not in result.reopened:
            priority = compute_priority((f.severity for f in entry_findings), stale, ticket.reopen_count)
            added = [f for f in current if f["fingerprint"] not in previous]
            gone = previous - {f["fingerprint"] for f in current}
            if priority != ticket.priority:
                _event(ticket, run_id, as_of, "updated", f"priority {ticket.priority} -> {priority}")
                ticket.priority = priority
                ticket.due = min(ticket.due or as_of, due_date(as_of, priority, settings))
            if added or gone:
                parts = []
                if added:
                    parts.append(f"{len(added)} new: {_codes(added)}")
                if gone:
                    parts.append(f"{len(gone)} fixed")
                _event(ticket, run_id, as_of, "updated", "; ".join(parts))
                result.updated.append(ticket.id)
        if ticket.findings != current:
            ticket.findings = current
            ticket.updated_on = as_of
        ticket.score, ticket.reasons = score, why

    for entry_id, ticket in tickets.items():
        if ticket.status == "resolved":
            continue
        entry_findings = by_entry.get(entry_id, [])
        if any(f.severity >= threshold for f in entry_findings):
            continue
        if ticket.status == "wontfix" and kept_quiet.get(entry_id):
            continue  # what it covers is still there, unchanged: it stays quiet
        if entry_id not in entries_by_id:
            note = "the entry is no longer in the directory"
        else:
            note = f"all findings fixed ({_codes(ticket.findings)} no longer found)"
        ticket.status = "resolved"
        ticket.resolved_on = as_of
        ticket.updated_on = as_of
        ticket.snoozed_until, ticket.snooze_reason = None, None
        ticket.findings = [f.as_record() for f in entry_findings]
        ticket.score = scores[entry_id].score if scores and entry_id in scores else 0
        ticket.reasons = reasons(entry_findings)
        ticket.last_run_id = run_id
        _event(ticket, run_id, as_of, "resolved", note)
        result.resolved.append(ticket.id)
    session.flush()
    return result
