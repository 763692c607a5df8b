"""A store made by an older version is upgraded on first use and keeps what it holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.store.db import _alembic_config, open_engine, session_factory
from auditor.tickets import actions
from tests.helpers import AS_OF, skill, write_tree


def test_store_at_first_revision_is_upgraded_and_keeps_its_tickets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    config = _alembic_config()
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO runs (id, directory, root, source, as_of, started_at, status, entries_count, "
            "findings_count, summary) VALUES (1, 'd', '/d', 'folder', '2026-11-01', '2026-11-01 06:00:00', "
            "'completed', 1, 1, '{}')"))
        connection.execute(text(
            "INSERT INTO tickets (id, fingerprint, directory, entry_id, path, title, status, priority, "
            "reopen_count, findings, opened_on, updated_on) VALUES (1, 'fp', 'd', 'alpha', 'alpha.md', "
            "'Refresh alpha', 'open', 'normal', 0, '[]', '2026-11-01', '2026-11-01')"))
    old.dispose()
    assert "score" not in {c["name"] for c in inspect(create_engine(url)).get_columns("tickets")}

    engine = open_engine(url)
    with session_factory(engine)() as session:
        (ticket,) = actions.list_tickets(session, status="all")
        assert (ticket.entry_id, ticket.score, ticket.reasons) == ("alpha", 0, [])
    columns = {c["name"] for c in inspect(engine).get_columns("tickets")}
    engine.dispose()
    assert {"score", "reasons"} <= columns


def test_audit_records_scores_on_snapshots(tmp_path: Path, db_url: str) -> None:
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta"], reviewed="2026-01-01"),
        "skills/beta.md": skill("beta", ["alpha"]),
    })
    result = run_audit(root, load_config(root), dt.date.fromisoformat(AS_OF), db_url)
    engine = open_engine(db_url)
    with engine.connect() as connection:
        rows = dict(connection.execute(text(
            "SELECT entry_id, score FROM entry_snapshots WHERE run_id = :r"), {"r": result.run_id}).all())
    engine.dispose()
    assert rows["alpha"] >= 70 > rows["beta"]


def test_the_schema_head_the_store_is_opened_at_is_alembics_newest_migration(tmp_path: Path) -> None:
    """open_engine takes a store at SCHEMA_HEAD as migrated without asking alembic: a new migration must move it."""
    from alembic.script import ScriptDirectory

    from auditor.store.db import SCHEMA_HEAD

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == SCHEMA_HEAD
    engine = open_engine(f"sqlite:///{tmp_path / 'new.db'}")  # a new store: migrated all the way
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == SCHEMA_HEAD
    engine.dispose()
