"""What editors do with tickets: list, show, claim, snooze, resolve, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from auditor.safe_text import csv_cell, markdown_code, markdown_text
from auditor.settings import PRIORITIES
from auditor.store.models import Ticket, TicketEvent
from auditor.store.runs import now

STATUSES = ("open", "snoozed", "resolved", "wontfix")


class TicketError(ValueError):
    """An editor's request that cannot be carried out; the message says why."""


def list_tickets(
    session: Session, directory: str | None = None, owner: str | None = None, status: str | None = "open",
    reason: str | None = None,
) -> list[Ticket]:
    """Most urgent first: by priority, then by staleness score, then by due date."""
    query = select(Ticket).options(selectinload(Ticket.events))
    if directory:
        query = query.where(Ticket.directory == directory)
    if owner:
        query = query.where(Ticket.owner == owner)
    if status and status != "all":
        if status not in STATUSES:
            raise TicketError(f"unknown status {status!r} (expected {', '.join(STATUSES)} or all)")
        query = query.where(Ticket.status == status)
    tickets = list(session.scalars(query))
    if reason:
        wanted = {code.strip().upper() for code in reason.split(",") if code.strip()}
        tickets = [t for t in tickets if wanted & set(t.reasons or [])]
    tickets.sort(key=lambda t: (-PRIORITIES.index(t.priority), -(t.score or 0), t.due or dt.date.max, t.id))
    return tickets


def overdue_days(ticket: Ticket, as_of: dt.date) -> int:
    """Days an open ticket is past its due date on `as_of` (0 when it is not overdue; snoozed, resolved and won't-fix
    tickets are never overdue)."""
    if ticket.status != "open" or ticket.due is None or ticket.due >= as_of:
        return 0
    return (as_of - ticket.due).days


def queue_counts(session: Session, directory: str, as_of: dt.date) -> dict[str, int]:
    """Open, snoozed and overdue tickets of a directory on `as_of`: a run keeps these in its summary (`queue`), so
    the report can chart them run by run."""
    rows = session.execute(select(Ticket.status, Ticket.due).where(Ticket.directory == directory,
                                                                   Ticket.status.in_(("open", "snoozed"))))
    counts = {"open": 0, "snoozed": 0, "overdue": 0}
    for status, due in rows:
        counts[status] += 1
        counts["overdue"] += status == "open" and due is not None and due < as_of
    return counts


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, options=[selectinload(Ticket.events)])
    if ticket is None:
        raise TicketError(f"no ticket #{ticket_id}")
    return ticket


def _event(ticket: Ticket, as_of: dt.date, kind: str, actor: str, note: str) -> None:
    ticket.events.append(TicketEvent(run_id=None, at=now(), as_of=as_of, kind=kind, actor=actor, note=note))


def claim(session: Session, ticket_id: int, actor: str, as_of: dt.date) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "resolved":
        raise TicketError(f"ticket #{ticket_id} is resolved; there is nothing to claim")
    ticket.assignee = actor
    _event(ticket, as_of, "claimed", actor, f"claimed by {actor}")
    session.commit()
    return ticket


def snooze(session: Session, ticket_id: int, until: dt.date, reason: str, actor: str, as_of: dt.date) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "resolved":
        raise TicketError(f"ticket #{ticket_id} is resolved; only open tickets can be snoozed")
    if until <= as_of:
        raise TicketError(f"--until {until} is not after {as_of}")
    if not reason.strip():
        raise TicketError("a snooze needs a --reason")
    ticket.status, ticket.snoozed_until, ticket.snooze_reason = "snoozed", until, reason
    _event(ticket, as_of, "snoozed", actor, f"until {until}: {reason}")
    session.commit()
    return ticket


def wontfix(session: Session, ticket_id: int, reason: str, actor: str, as_of: dt.date) -> Ticket:
    """The ticket's findings are known and kept on purpose: later audits leave them quiet (the report lists them
    apart) until their evidence changes, which reopens the ticket."""
    ticket = get_ticket(session, ticket_id)
    if ticket.status in ("resolved", "wontfix"):
        shown = "resolved" if ticket.status == "resolved" else "won't fix"
        raise TicketError(f"ticket #{ticket_id} is {shown} already")
    if not reason.strip():
        raise TicketError("won't fix needs a --reason")
    # The reason is kept where a snooze keeps its own: why the ticket is quiet.
    ticket.status, ticket.snoozed_until, ticket.snooze_reason = "wontfix", None, reason
    ticket.updated_on = as_of
    _event(ticket, as_of, "wontfix", actor, f"{len(ticket.findings)} finding(s) kept on purpose: {reason}")
    session.commit()
    return ticket


def resolve(session: Session, ticket_id: int, reason: str, actor: str, as_of: dt.date) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "resolved":
        raise TicketError(f"ticket #{ticket_id} is already resolved")
    if not reason.strip():
        raise TicketError("resolving by hand needs a --reason")
    ticket.status, ticket.resolved_on, ticket.updated_on = "resolved", as_of, as_of
    ticket.snoozed_until = ticket.snooze_reason = None
    _event(ticket, as_of, "resolved", actor, reason)
    session.commit()
    return ticket


def ticket_dict(ticket: Ticket, with_events: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ticket.id, "fingerprint": ticket.fingerprint, "directory": ticket.directory,
        "entry": ticket.entry_id, "path": ticket.path, "title": ticket.title, "status": ticket.status,
        "priority": ticket.priority, "score": ticket.score or 0, "reasons": list(ticket.reasons or []),
        "owner": ticket.owner, "assignee": ticket.assignee,
        "due": ticket.due.isoformat() if ticket.due else None,
        "snoozed_until": ticket.snoozed_until.isoformat() if ticket.snoozed_until else None,
        "snooze_reason": ticket.snooze_reason, "reopen_count": ticket.reopen_count,
        "opened_on": ticket.opened_on.isoformat(), "updated_on": ticket.updated_on.isoformat(),
        "resolved_on": ticket.resolved_on.isoformat() if ticket.resolved_on else None,
        "findings": [{k: v for k, v in f.items()} for f in ticket.findings],
    }
    if with_events:
        data["history"] = [
            {"at": e.at.isoformat(), "as_of": e.as_of.isoformat(), "kind": e.kind, "actor": e.actor,
             "note": e.note, "run": e.run_id}
            for e in ticket.events
        ]
    return data


def export(tickets: list[Ticket], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"tickets": [ticket_dict(t) for t in tickets]}, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "status", "priority", "score", "reasons", "due", "owner", "assignee", "entry", "path",
                         "findings", "codes", "summary"])
        for t in tickets:
            row = [t.id, t.status, t.priority, t.score or 0, " ".join(t.reasons or []), t.due or "",
                   t.owner or "", t.assignee or "",
                   t.entry_id, t.path, len(t.findings),
                   " ".join(sorted({f["code"] for f in t.findings})),
                   " | ".join(f"{f['code']} line {f['line']}: {f['message']}" for f in t.findings)]
            writer.writerow([csv_cell(cell) for cell in row])
        return buffer.getvalue()
    if fmt == "md":
        # Titles, paths, owners and messages quote the directory's files: escaped, so they show as written.
        text = markdown_text
        lines = ["# Refresh tickets", ""]
        for t in tickets:
            lines.append(f"## #{t.id} {text(t.title)} ({t.priority}, {t.status})")
            lines.append("")
            lines.append(f"- entry: {markdown_code(t.entry_id)} ({text(t.path)})")
            lines.append(f"- staleness {t.score or 0}/100; why: {', '.join(t.reasons or []) or 'n/a'}")
            lines.append(f"- owner: {text(t.owner or 'unowned')}; assignee: {text(t.assignee or 'nobody')}; "
                         f"due {t.due}")
            for f in t.findings:
                lines.append(f"- [ ] **{f['code']}** {f['severity']} line {f['line']}: {text(f['message'])}")
                if f.get("evidence"):
                    lines.append(f"  - evidence: {markdown_code(f['evidence'])}")
                if f.get("fix"):
                    lines.append(f"  - fix: {text(f['fix'])}")
            lines.append("")
        return "\n".join(lines)
    raise TicketError(f"unknown export format {fmt!r} (expected md, json or csv)")
