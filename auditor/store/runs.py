"""Recording runs: a run row first, then all its results in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from auditor.models import Entry, Finding
from auditor.schedule.lock import dead_here, default_holder
from auditor.store.models import EntrySnapshot, FindingRow, Run


def now() -> dt.datetime:
    """Wall-clock time, for when things happened; checks compare against the audit date instead."""
    return dt.datetime.now(dt.UTC)


def begin_run(session: Session, directory: str, root: str, source: str, as_of: dt.date) -> int:
    run = Run(directory=directory, root=root, source=source, as_of=as_of, started_at=now(),
              status="running", summary={}, holder=default_holder())
    session.add(run)
    session.commit()
    return run.id


def record_entries_and_findings(
    session: Session, run_id: int, entries: Iterable[Entry], findings: Iterable[Finding],
    scores: Mapping[str, Any] | None = None,
) -> None:
    """Bulk inserts inside the caller's transaction. `scores` maps entry ids to their staleness scores."""
    scores = scores or {}
    snapshots = [
        {"run_id": run_id, "entry_id": e.id, "path": e.path, "kind": e.kind, "title": e.title,
         "owner": e.owner, "content_hash": e.content_hash,
         # None when nothing dates the entry (band `unknown`): a stored 0 would read as fresh
         "score": scores[e.id].score if e.id in scores and scores[e.id].evidence else None}
        for e in entries
    ]
    if snapshots:
        _insert_many(session, EntrySnapshot.__table__, snapshots)
    rows = [
        {"run_id": run_id, "entry_id": f.entry, "path": f.path, "line": f.line, "code": f.code,
         "name": f.name, "severity": f.severity.name, "message": f.message, "evidence": f.evidence,
         "fix": f.fix, "fingerprint": f.fingerprint, "reason": f.reason}
        for f in findings
    ]
    if rows:
        _insert_many(session, FindingRow.__table__, rows)


def _insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) on the session's connection: not through the ORM's bulk path, and on
    SQLite with the driver's executemany, not Core's, whose per-row parameter processing cost 0.3 s of the 0.7 s a
    re-audit spent storing 50 000 snapshot rows (these columns' types process nothing on SQLite). Other stores take
    Core's executemany (on PostgreSQL the compiled statement would return ids no one reads)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(rows[0]))
    values = itemgetter(*(compiled.positiontup or []))  # a row's values in the statement's order
    connection.exec_driver_sql(str(compiled), list(map(values, rows)))


def finish_run(session: Session, run_id: int, entries: int, findings: int, summary: dict[str, Any]) -> None:
    session.execute(
        update(Run).where(Run.id == run_id).values(
            status="completed", finished_at=now(), entries_count=entries, findings_count=findings,
            summary=summary,
        )
    )


def fail_run(session: Session, run_id: int, status: str, error: str) -> None:
    """Mark a run that did not complete; whatever it had written was rolled back by the caller."""
    session.execute(delete(FindingRow).where(FindingRow.run_id == run_id))
    session.execute(delete(EntrySnapshot).where(EntrySnapshot.run_id == run_id))
    session.execute(update(Run).where(Run.id == run_id).values(status=status, finished_at=now(), error=error))
    session.commit()


def mark_dead_runs(session: Session) -> list[int]:
    """Runs left `running` by a process on this machine that is gone (a `kill -9`, the machine out of memory) are
    marked `interrupted`: they will never finish. Returns their ids. A run on another machine is left alone: only
    its own machine can tell whether it still runs."""
    rows = session.execute(select(Run.id, Run.holder).where(Run.status == "running", Run.holder.is_not(None))).all()
    dead = [run_id for run_id, holder in rows if dead_here(holder)]
    for run_id, holder in rows:
        if run_id in dead:
            session.execute(update(Run).where(Run.id == run_id, Run.status == "running").values(
                status="interrupted", finished_at=now(),
                error=f"its process ({holder}) ended without recording an outcome (killed?)"))
    session.commit()
    return dead


def previous_completed_run(session: Session, directory: str, before_run_id: int) -> Run | None:
    return session.scalars(
        select(Run).where(Run.directory == directory, Run.status == "completed", Run.id < before_run_id)
        .order_by(Run.id.desc()).limit(1)
    ).first()


def findings_of_run(session: Session, run_id: int) -> list[FindingRow]:
    return list(session.scalars(select(FindingRow).where(FindingRow.run_id == run_id).order_by(FindingRow.id)))


def list_runs(session: Session, directory: str | None = None, limit: int = 20) -> list[Run]:
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if directory:
        query = query.where(Run.directory == directory)
    return list(session.scalars(query))
