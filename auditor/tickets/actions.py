"""What editors do with tickets: list, show, claim, snooze, resolve, export."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from auditor.cache_key import code_digest
from auditor.outfiles import write_output
from auditor.output import rule_url
from auditor.safe_text import csv_cell, markdown_code, markdown_text
from auditor.settings import PRIORITIES
from auditor.store.models import Run, Ticket, TicketEvent
from auditor.store.runs import now

STATUSES = ("open", "snoozed", "resolved", "wontfix")


class TicketError(ValueError):
    """An editor's request that cannot be carried out; the message says why."""


def _urgency(ticket: Any) -> tuple[Any, ...]:
    """Most urgent first: by priority, then by staleness score, then by due date (a ticket or its plain record)."""
    return -PRIORITIES.index(ticket.priority), -(ticket.score or 0), ticket.due or dt.date.max, ticket.id


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
    tickets.sort(key=_urgency)
    return tickets


def open_tickets_plain(session: Session, directory: str) -> list[Any]:
    """The directory's open tickets as `list_tickets(session, directory, status="open")` returns them, in its order,
    but as plain records (each column an attribute, and `events` in the order of the relationship) read by two
    queries: what the exports read, at a third of the ORM's cost (3 200 tickets with their events: 0.5 CPU s)."""
    table = Ticket.__table__
    wanted = (table.c.directory == directory) & (table.c.status == "open")
    tickets = [SimpleNamespace(**row._mapping, events=[]) for row in session.execute(select(table).where(wanted))]
    by_id = {ticket.id: ticket for ticket in tickets}
    events = TicketEvent.__table__
    for event in session.execute(select(events).where(events.c.ticket_id.in_(select(table.c.id).where(wanted)))
                                 .order_by(events.c.id)):
        by_id[event.ticket_id].events.append(SimpleNamespace(**event._mapping))
    tickets.sort(key=_urgency)
    return tickets


def overdue_days(ticket: Ticket, as_of: dt.date) -> int:
    """Days an open ticket is past its due date on `as_of` (0 when it is not overdue; snoozed, resolved and won't-fix
    tickets are never overdue)."""
    if ticket.status != "open" or ticket.due is None or ticket.due >= as_of:
        return 0
    return (as_of - ticket.due).days


def queue_counts(session: Session, directory: str, as_of: dt.date, since: dt.date | None = None) -> dict[str, int]:
    """Open, snoozed and overdue tickets of a directory on `as_of`, and (with `since`, the date of the run before)
    how many of the overdue ones fell due since then: a run keeps these in its summary (`queue`), so the report can
    count them run by run."""
    rows = session.execute(select(Ticket.status, Ticket.due).where(Ticket.directory == directory,
                                                                   Ticket.status.in_(("open", "snoozed"))))
    counts = {"open": 0, "snoozed": 0, "overdue": 0}
    if since is not None:
        counts["became_overdue"] = 0
    for status, due in rows:
        counts[status] += 1
        late = status == "open" and due is not None and due < as_of
        counts["overdue"] += late
        if since is not None and late and due >= since:
            counts["became_overdue"] += 1
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


def assign(session: Session, ticket_id: int, assignee: str, reason: str, actor: str, as_of: dt.date) -> Ticket:
    """Give a ticket to someone (claiming is giving it to oneself); the reason, when given, goes in its history."""
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "resolved":
        raise TicketError(f"ticket #{ticket_id} is resolved; there is nothing to assign")
    if not assignee.strip():
        raise TicketError("assigning needs a name (--to)")
    ticket.assignee = assignee.strip()
    note = f"assigned to {ticket.assignee} by {actor}" + (f": {reason.strip()}" if reason.strip() else "")
    _event(ticket, as_of, "assigned", actor, note)
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


TITLE_LIMIT = 200  # characters of an exported title: trackers cap titles (GitHub at 256, Jira at 255)
CSV_COLUMNS = ("key", "id", "title", "description", "priority", "due", "owner", "labels", "state", "url",
               "assignee", "entry", "path", "score", "updated_on")


def changed_since(session: Session, tickets: list[Ticket], run_id: int) -> list[Ticket]:
    """The tickets something happened to after run `run_id`: an event of a later run, or an editor's action (claim,
    snooze, resolve, won't fix) after that run finished."""
    run = session.get(Run, run_id)
    if run is None:
        raise TicketError(f"no run #{run_id} (see `auditor runs`)")
    after = run.finished_at or run.started_at
    if after.tzinfo is None:
        after = after.replace(tzinfo=dt.UTC)

    def _at(event: TicketEvent) -> dt.datetime:
        return event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC)

    return [t for t in tickets if any((e.run_id is not None and e.run_id > run_id)
                                      or (e.run_id is None and _at(e) > after) for e in t.events)]


def export_title(ticket: Ticket) -> str:
    """The ticket's title, at most TITLE_LIMIT characters on one line."""
    title = " ".join(ticket.title.split())
    return title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT - 1].rstrip() + "…"


def export_description(ticket: Ticket, settings: Mapping[str, Any] | None = None) -> str:
    """The ticket's body in Markdown: the entry, then each finding with its place (file:line), evidence, fix and
    its rule's docs. Text quoted from the directory is escaped so it shows as written."""
    text = markdown_text
    lines = [f"Entry {markdown_code(ticket.entry_id)} in {markdown_code(ticket.path)}; staleness {ticket.score or 0}"
             f"/100; why: {', '.join(ticket.reasons or []) or 'n/a'}.", ""]
    for f in ticket.findings:
        place = markdown_code(f"{f['path']}:{f['line']}")
        lines.append(f"- **{f['code']}** ({f['severity']}) {place}: "
                     f"{text(f['message'])}")
        if f.get("evidence"):
            lines.append(f"  - evidence: {markdown_code(f['evidence'])}")
        if f.get("fix"):
            lines.append(f"  - fix: {text(f['fix'])}")
        docs = rule_url(f["code"], f.get("name", ""), settings)
        if docs:
            lines.append(f"  - rule: {docs}")
    return "\n".join(lines)


def export_url(ticket: Ticket, settings: Mapping[str, Any] | None = None) -> str:
    """Where the ticket's entry is shown: the `ticket_url` setting with {key} filled in, or the entry's page inside
    the report folder."""
    template = str((settings or {}).get("ticket_url") or "")
    return template.replace("{key}", ticket.fingerprint) if template else f"entries/{ticket.fingerprint}.html"


def export_fields(ticket: Ticket, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a tracker imports: a stable external key (the same ticket has the same key in every export, so a
    re-import updates it), a title of at most TITLE_LIMIT characters, a Markdown description and labels."""
    labels = sorted({f["code"] for f in ticket.findings}) + list(ticket.reasons or [])
    return {"key": ticket.fingerprint, "id": ticket.id, "title": export_title(ticket),
            "description": export_description(ticket, settings), "priority": ticket.priority,
            "due": ticket.due.isoformat() if ticket.due else None, "owner": ticket.owner,
            "labels": ["auditor", *labels], "state": ticket.status, "url": export_url(ticket, settings)}


def export(tickets: list[Ticket], fmt: str, settings: Mapping[str, Any] | None = None) -> str:
    if fmt == "json":
        items = [{**ticket_dict(t), **export_fields(t, settings)} for t in tickets]
        return json.dumps({"tickets": items}, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for t in tickets:
            fields = export_fields(t, settings)
            extra = {"labels": ",".join(fields["labels"]), "due": fields["due"] or "", "owner": t.owner or "",
                     "assignee": t.assignee or "", "entry": t.entry_id, "path": t.path, "score": t.score or 0,
                     "updated_on": t.updated_on.isoformat()}
            row = [{**fields, **extra}[column] for column in CSV_COLUMNS]
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


EXPORT_FILES = {"tickets.md": "md", "tickets.json": "json", "tickets.csv": "csv"}
# Beside the exports: what they were written from (a digest) and each file's size and time, so an audit that changed
# no ticket leaves them as they are.
EXPORTS_MANIFEST = ".exports.json"


def _stamp(path: Path) -> list[int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def write_exports(tickets: list[Ticket], target: Path, settings: Mapping[str, Any] | None, advice: str) -> bool:
    """Write the tickets in every export format (EXPORT_FILES) into `target`, unless the files there were written
    from the same tickets, settings and code and are as that write left them; returns whether they were written.
    WriteError (auditor/outfiles.py, saying `advice`) when they cannot be."""
    basis = (code_digest(), sorted((key, repr(value)) for key, value in (settings or {}).items()),
             [ticket_dict(t) for t in tickets])
    digest = hashlib.blake2b(repr(basis).encode(), digest_size=20).hexdigest()
    try:
        kept = json.loads((target / EXPORTS_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = None
    if isinstance(kept, dict) and kept.get("digest") == digest and isinstance(kept.get("files"), dict):
        stamps = {name: _stamp(target / name) for name in EXPORT_FILES}
        if all(stamp is not None and kept["files"].get(name) == stamp for name, stamp in stamps.items()):
            return False
    for name, fmt in EXPORT_FILES.items():
        write_output(target / name, export(tickets, fmt, settings), advice)
    files = {name: _stamp(target / name) for name in EXPORT_FILES}
    write_output(target / EXPORTS_MANIFEST, json.dumps({"digest": digest, "files": files}), advice)
    return True
