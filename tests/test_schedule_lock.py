"""The directory lock in the store, on SQLite and PostgreSQL: one holder at a time, leases that expire, heartbeats
that keep them, slots that are audited once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from auditor.schedule.lock import DirectoryLock, read_lock
from auditor.store.db import open_engine

T0 = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


def test_migration_0005_adds_the_locks_table(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("locks")}
    assert columns == {"name", "holder", "acquired_at", "expires_at", "slot"}


def test_one_holder_at_a_time_until_released(engine: Engine) -> None:
    a = DirectoryLock(engine, "example", holder="host-a:1")
    b = DirectoryLock(engine, "example", holder="host-b:2")
    assert a.acquire()
    assert not b.acquire()
    assert not a.acquire()  # not re-entrant either
    state = read_lock(engine, "example")
    assert state is not None and state.holder == "host-a:1" and state.held()
    assert DirectoryLock(engine, "other", holder="host-b:2").acquire()  # another directory is its own lock
    b.release()  # releasing what one does not hold changes nothing
    assert read_lock(engine, "example").holder == "host-a:1"
    a.release()
    assert read_lock(engine, "example").holder is None
    assert b.acquire()


def test_an_expired_lease_is_taken_over_and_the_old_holder_knows(engine: Engine) -> None:
    a = DirectoryLock(engine, "example", holder="crashed:1", lease_seconds=60, clock=lambda: T0)
    assert a.acquire()
    early = DirectoryLock(engine, "example", holder="host-b:2", clock=lambda: T0 + dt.timedelta(seconds=59))
    assert not early.acquire()
    late = DirectoryLock(engine, "example", holder="host-b:2", clock=lambda: T0 + dt.timedelta(seconds=61))
    assert late.acquire()
    assert not a.renew() and a.lost.is_set()
    a.release()  # the old holder's release leaves the new holder's lock alone
    assert read_lock(engine, "example").holder == "host-b:2"


def test_a_slot_is_audited_once(engine: Engine) -> None:
    a = DirectoryLock(engine, "example", holder="host-a:1")
    b = DirectoryLock(engine, "example", holder="host-b:2")
    assert a.acquire(slot=T0)
    a.release()
    assert not b.acquire(slot=T0)  # host-b fired late for the time host-a already audited
    assert read_lock(engine, "example").slot == T0
    assert b.acquire(slot=T0 + dt.timedelta(days=7))


def test_heartbeat_keeps_the_lease_alive(engine: Engine) -> None:
    a = DirectoryLock(engine, "example", holder="host-a:1", lease_seconds=0.6)
    b = DirectoryLock(engine, "example", holder="host-b:2")
    assert a.acquire()
    with a.heartbeat(every=0.1):
        time.sleep(1.0)  # longer than the lease: only the heartbeat keeps it
        assert not b.acquire()
    assert not a.lost.is_set()
    a.release()
    assert b.acquire()


def test_racing_holders_get_it_exactly_once(engine: Engine) -> None:
    start = threading.Barrier(6)
    won: list[str] = []

    def race(i: int) -> None:
        lock = DirectoryLock(engine, "example", holder=f"host-{i}:{i}")
        start.wait()
        if lock.acquire(slot=T0):
            won.append(lock.holder)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert read_lock(engine, "example").holder == won[0]

    # The same with the row already there (the UPDATE path), after release.
    DirectoryLock(engine, "example", holder=won[0]).release()
    start.reset()
    won.clear()
    for i in range(6):
        threads[i] = threading.Thread(target=lambda i=i: _race_update(engine, i, start, won))
        threads[i].start()
    for t in threads:
        t.join()
    assert len(won) == 1


def _race_update(engine: Engine, i: int, start: threading.Barrier, won: list[str]) -> None:
    lock = DirectoryLock(engine, "example", holder=f"second-{i}:{i}")
    start.wait()
    if lock.acquire(slot=T0 + dt.timedelta(days=7)):
        won.append(lock.holder)


def test_an_audit_by_hand_waits_for_no_one_and_overlaps_no_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from auditor.cli import app
    from auditor.schedule.child import LOCK_HOLDER_ENV
    from tests.helpers import AS_OF, skill, write_tree

    root = write_tree(tmp_path / "dir", {"auditor.toml": 'name = "by-hand"\n', "skills/alpha.md": skill("alpha", [])})
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    scheduler = DirectoryLock(engine, "by-hand", "scheduler-host:1")
    slot = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert scheduler.acquire(slot)
    monkeypatch.delenv(LOCK_HOLDER_ENV, raising=False)
    audit = ["audit", str(root), "--db", url, "--offline", "--as-of", AS_OF]
    busy = CliRunner().invoke(app, audit)
    assert busy.exit_code == 4
    assert "an audit of by-hand is running already (scheduler-host:1" in busy.stderr
    # The scheduler's own child is told the lock is its parent's.
    monkeypatch.setenv(LOCK_HOLDER_ENV, "scheduler-host:1")
    assert CliRunner().invoke(app, audit).exit_code == 0
    monkeypatch.delenv(LOCK_HOLDER_ENV)
    scheduler.release()
    assert CliRunner().invoke(app, audit).exit_code == 0
    state = read_lock(engine, "by-hand")
    assert state is not None and not state.held()  # released after the run
    assert state.slot == slot  # and the scheduled time it remembers is untouched
    engine.dispose()
