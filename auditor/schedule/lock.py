"""A lease in the store that keeps two audits of one directory from running at once, also across machines.

One row per directory in the `locks` table (migration 0005). Taking the lock is one atomic statement that
SQLite and PostgreSQL both serialise: an INSERT when the row does not exist yet, else an UPDATE that only matches
while the lock is free or its lease has run out. The holder renews the lease (a heartbeat) while its audit runs,
so a holder that crashed or lost its machine stops blocking the directory once `lease` seconds have passed.

The row also keeps `slot`, the scheduled time of the last audit started under it: a scheduler that fires late for
a time another machine has already audited (clocks and start-up differ) finds the slot taken and skips it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from auditor.schedule.child import LOCK_HOLDER_ENV
from auditor.store.db import BUSY_TIMEOUT_MS
from auditor.store.models import Lock

log = logging.getLogger("auditor.schedule")
RENEW_BUSY_MS = 1000  # how long one renewal waits for SQLite's write lock before it fails and is retried
RENEW_RETRY_SECONDS = 1.0  # after a failed renewal, the next attempt (or the usual interval, if shorter)


@contextlib.contextmanager
def audit_lock(engine: Engine, name: str, lease_seconds: float) -> Iterator[LockState | None]:
    """The lock of an audit run by hand: yields None while this process holds it (renewed until the block ends),
    or the state of the lock another audit holds (the block should then not audit). Inside a scheduler's child
    (LOCK_HOLDER_ENV set) the scheduler holds it already."""
    if os.environ.get(LOCK_HOLDER_ENV):
        yield None
        return
    lock = DirectoryLock(engine, name, lease_seconds=lease_seconds)
    if not lock.acquire(scheduled=False):
        yield read_lock(engine, name)
        return
    try:
        with lock.heartbeat():
            yield None
    finally:
        lock.release()


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_here(holder: str) -> bool:
    """Whether a holder (`host:pid`) names a process on this machine that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands datetimes back without their zone; everything in the table is UTC."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


@dataclass
class LockState:
    name: str
    holder: str | None
    acquired_at: dt.datetime | None
    expires_at: dt.datetime | None
    slot: dt.datetime | None

    def held(self, now: dt.datetime | None = None) -> bool:
        return self.holder is not None and self.expires_at is not None and self.expires_at > (now or utcnow())


class DirectoryLock:
    """`acquire()`, then `heartbeat()` around the work, then `release()`."""

    def __init__(self, engine: Engine, name: str, holder: str | None = None, lease_seconds: float = 300.0,
                 clock=utcnow) -> None:  # noqa: ANN001 - a callable returning an aware datetime
        self.engine, self.name = engine, name
        self.holder = holder or default_holder()
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.clock = clock
        self.lost = threading.Event()  # set when a renewal found the lock taken over
        self.renewals = self.failed_renewals = 0

    def acquire(self, slot: dt.datetime | None = None, scheduled: bool = True) -> bool:
        """Take the lock if it is free or its lease has expired, and, with `slot`, only when no audit was started
        for that scheduled time (or a later one) already. An audit run by hand (`scheduled=False`) leaves the slot
        alone, so it never makes the scheduler skip its next time. True when this holder has it now."""
        now = self.clock()
        values = {"holder": self.holder, "acquired_at": now, "expires_at": now + self.lease}
        if scheduled:
            values["slot"] = slot or now
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(Lock).values(name=self.name, **values))
            return True
        except IntegrityError:
            pass  # the row exists: the lock was taken before, and may be free again
        free = or_(Lock.holder.is_(None), Lock.expires_at.is_(None), Lock.expires_at <= now)
        unused_slot = or_(Lock.slot.is_(None), Lock.slot < values["slot"]) if scheduled else True
        with self.engine.begin() as conn:
            taken = conn.execute(update(Lock).where(and_(Lock.name == self.name, free, unused_slot)).values(**values))
            if taken.rowcount != 1:
                # A holder on this machine whose process is gone (a `kill -9`) is not waited for until its lease
                # runs out: the lock is taken over at once, from that holder only.
                holder = conn.execute(select(Lock.holder).where(Lock.name == self.name)).scalar()
                if holder and holder != self.holder and dead_here(holder):
                    taken = conn.execute(update(Lock).where(and_(Lock.name == self.name, Lock.holder == holder,
                                                                 unused_slot)).values(**values))
        self.lost.clear()
        return taken.rowcount == 1

    def renew(self) -> bool:
        """Extend the lease in a short transaction of its own; False (and `lost` set) when another holder has taken
        the lock meanwhile. On SQLite it waits at most RENEW_BUSY_MS for a writer (the audit storing its results)
        and then raises "database is locked": the heartbeat tries again shortly."""
        with self.engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={RENEW_BUSY_MS}")
            try:
                done = conn.execute(update(Lock).where(Lock.name == self.name, Lock.holder == self.holder)
                                    .values(expires_at=self.clock() + self.lease))
            finally:
                if sqlite:  # the pooled connection goes back with the store's own patience
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if done.rowcount != 1:
            self.lost.set()
        else:
            self.renewals += 1
        return done.rowcount == 1

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Lock).where(Lock.name == self.name, Lock.holder == self.holder)
                         .values(holder=None, expires_at=None))

    def state(self) -> LockState | None:
        return read_lock(self.engine, self.name)

    @contextlib.contextmanager
    def heartbeat(self, every: float | None = None) -> Iterator[None]:
        """Renew the lease every third of it (or `every` seconds) in a thread while the block runs."""
        interval = every if every is not None else max(self.lease.total_seconds() / 3, 0.05)
        stop = threading.Event()

        def beat() -> None:
            wait, failing = interval, 0
            while not stop.wait(wait):
                try:
                    if not self.renew():
                        log.error("lock %s was taken over by another holder while its audit ran", self.name)
                        return
                    if failing:
                        log.info("lock %s renewed after %d failed attempts", self.name, failing)
                    wait, failing = interval, 0
                except Exception as exc:  # noqa: BLE001 - "database is locked" during a long write, a network
                    # hiccup: the lease still has time, so try again soon (never give the heartbeat up)
                    self.failed_renewals += 1
                    failing += 1
                    if failing == 1:
                        log.warning("could not renew lock %s (retrying every %.1f s): %s", self.name,
                                    min(interval, RENEW_RETRY_SECONDS), exc)
                    wait = min(interval, RENEW_RETRY_SECONDS)

        thread = threading.Thread(target=beat, name=f"lock-heartbeat-{self.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def read_lock(engine: Engine, name: str) -> LockState | None:
    with engine.connect() as conn:
        row = conn.execute(select(Lock.__table__).where(Lock.name == name)).first()
    if row is None:
        return None
    return LockState(row.name, row.holder, _aware(row.acquired_at), _aware(row.expires_at), _aware(row.slot))
