"""A run's snapshot and finding rows: written with the driver's executemany on SQLite (auditor/store/runs.py), read
back as they were given, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from auditor.models import Entry, Finding, Severity
from auditor.store import runs
from auditor.store.db import open_engine, session_factory
from auditor.store.models import EntrySnapshot, FindingRow


def test_the_rows_sqlite_takes_from_the_driver_need_no_conversion() -> None:
    """The driver's executemany skips SQLAlchemy's bind processing: none of these columns may need any (a Date or
    JSON column added to them would)."""
    dialect = sqlite.dialect()
    for table in (EntrySnapshot.__table__, FindingRow.__table__):
        assert [c.name for c in table.columns if c.type.bind_processor(dialect) is not None] == []


def test_a_runs_rows_read_back_as_given(tmp_path: Path, db_url: str) -> None:
    entries = [Entry(id="alpha", path="skills/alpha.md", kind="skill", title="Alpha ✓", owner=None,
                     content_hash="h1"),
               Entry(id="beta", path="skills/beta.md", kind=None, title=None, owner="desk", content_hash="h2")]
    findings = [Finding("alpha", "skills/alpha.md", 3, "XRF001", "missing-related", Severity.error,
                        "`nope` is not an entry", evidence="related: nope", fix="Remove it.", fingerprint="f1",
                        reason="BROKEN_REF")]
    engine = open_engine(db_url)
    try:
        make = session_factory(engine)
        with make() as session:
            run_id = runs.begin_run(session, "d", "/d", "folder", dt.date(2026, 11, 28))
        with make() as session, session.begin():
            runs.record_entries_and_findings(session, run_id, entries, findings, {})
        with make() as session:
            snapshots = session.execute(select(
                EntrySnapshot.entry_id, EntrySnapshot.path, EntrySnapshot.kind, EntrySnapshot.title,
                EntrySnapshot.owner, EntrySnapshot.content_hash, EntrySnapshot.score,
            ).where(EntrySnapshot.run_id == run_id).order_by(EntrySnapshot.entry_id)).all()
            rows = session.execute(select(
                FindingRow.entry_id, FindingRow.line, FindingRow.code, FindingRow.severity, FindingRow.message,
                FindingRow.evidence, FindingRow.fix, FindingRow.fingerprint, FindingRow.reason,
            ).where(FindingRow.run_id == run_id)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in snapshots] == [("alpha", "skills/alpha.md", "skill", "Alpha ✓", None, "h1", None),
                                            ("beta", "skills/beta.md", None, None, "desk", "h2", None)]
    assert [tuple(r) for r in rows] == [("alpha", 3, "XRF001", "error", "`nope` is not an entry", "related: nope",
                                         "Remove it.", "f1", "BROKEN_REF")]
