"""Opening the store: the URL, the engine, and migrations applied on first use."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from auditor.outfiles import WriteError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_DB_FILE = ".auditor/auditor.db"
log = logging.getLogger("auditor.store")
BUSY_TIMEOUT_MS = 10000  # how long a SQLite statement waits for another writer before "database is locked"
# The newest migration's revision (tests/test_migrations.py holds it to alembic's head): a store already there is
# opened without alembic (its import and its reading of every migration script cost each command about 0.15 s).
SCHEMA_HEAD = "0007"


def resolve_url(root: Path | None, url: str | None = None, setting: str = "") -> str:
    """`--db URL`, else AUDITOR_DB, else the `db` setting, else a SQLite file under the directory."""
    chosen = url or os.environ.get("AUDITOR_DB") or setting
    if chosen:
        return chosen
    if root is None:
        raise ValueError("no database: pass --db URL or set AUDITOR_DB")
    path = (root / DEFAULT_DB_FILE).resolve()
    return f"sqlite:///{path}"


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _stored_revision(engine: Engine) -> str | None:
    """The store's migration revision, read without alembic; None when it cannot be read (a new store)."""
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is there already."""
    if _stored_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_engine(url: str) -> Engine:
    """An engine with the schema migrated. SQLite gets foreign keys and WAL so readers never block a run."""
    if url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only directory: say where the store would go and how to put it elsewhere
            raise WriteError(folder, exc, "keep the store elsewhere with --db URL (or AUDITOR_DB)") from None
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()
    migrate(engine)
    _mark_dead_runs(engine)
    return engine


def _mark_dead_runs(engine: Engine) -> None:
    """Whoever opens the store next marks the runs of killed processes on this machine `interrupted`."""
    from auditor.store.runs import mark_dead_runs

    try:
        with session_factory(engine)() as session:
            for run_id in mark_dead_runs(session):
                log.warning("run #%s was left running by a process that is gone: marked interrupted", run_id)
    except SQLAlchemyError as exc:  # a read-only store is still read; the next writable opening marks them
        log.warning("could not mark the runs of killed processes interrupted: %s", exc)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
