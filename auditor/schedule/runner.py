"""One scheduled audit: take the directory's lock, run `auditor audit` in a child process, read what it recorded,
send the notifications.

The audit runs in a child process of its own (Scrapy's Twisted reactor cannot restart inside one process). The
child is `auditor audit` itself, so the report, the ticket exports and the run's recording are exactly a manual
run's. It gets a session of its own, so a Ctrl-C in the terminal or a signal to the scheduler's process group
reaches it once, through `stop()`: SIGTERM, which `auditor audit` turns into KeyboardInterrupt, and `run_audit`
records the run as interrupted. A child that does not end within `stop_timeout_seconds` is killed, and its run is
marked interrupted here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from auditor.schedule.child import child_environment
from auditor.schedule.config import AuditSpec, Schedule, safe_url
from auditor.schedule.lock import DirectoryLock, default_holder, read_lock
from auditor.schedule.notify import Outcome, notify, report_link
from auditor.store import runs as run_store
from auditor.store.db import open_engine, session_factory
from auditor.store.models import Run

log = logging.getLogger("auditor.schedule")


class Runner:
    def __init__(self, schedule: Schedule, holder: str | None = None) -> None:
        self.schedule = schedule
        self.holder = holder or default_holder()
        self.stopping = threading.Event()
        self.stopped_at = 0.0
        self.outcomes: list[Outcome] = []  # every finished run, in order (for `--once` and the tests)
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._guard = threading.Lock()

    def stop(self) -> None:
        """Start no more audits; ask the running ones to stop (SIGTERM), to be killed after the stop timeout."""
        with self._guard:
            if self.stopping.is_set():
                return  # once: a second SIGTERM could cut short the child's recording of the first
            self.stopped_at = time.monotonic()
            self.stopping.set()
            for name, child in self._children.items():
                if child.poll() is None:
                    log.info("stopping the audit of %s (pid %d)", name, child.pid)
                    child.send_signal(signal.SIGTERM)

    def run(self, audit: AuditSpec, slot: dt.datetime | None = None) -> Outcome | None:
        """Audit once, unless the directory's lock is held (or `slot` was audited already) or we are stopping.
        Returns the outcome, or None when skipped."""
        if self.stopping.is_set():
            return None
        started = time.monotonic()
        try:
            outcome = self._locked(audit, slot)
        except SQLAlchemyError as exc:  # the store is down: no lock, no run; worth telling the maintainers
            error = f"the store at {safe_url(audit.db_url)} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
            log.error("audit of %s not run: %s", audit.name, error)
            outcome = Outcome(audit.name, audit.target, "failed", None, time.monotonic() - started, "", error=error)
        if outcome is None:
            return None
        log.info("audit of %s: %s (run #%s, %.1f s)", audit.name, outcome.status, outcome.run_id, outcome.seconds)
        self.outcomes.append(outcome)
        notify(audit.options, outcome)
        return outcome

    def _locked(self, audit: AuditSpec, slot: dt.datetime | None) -> Outcome | None:
        engine = open_engine(audit.db_url)
        try:
            lock = DirectoryLock(engine, audit.name, self.holder, float(self.schedule.options["lock_lease_seconds"]))
            if not lock.acquire(slot):
                state = read_lock(engine, audit.name)
                why = (f"its lock is held by {state.holder} until {state.expires_at:%Y-%m-%d %H:%M:%S} UTC"
                       if state is not None and state.held() else f"the run due at {slot} was started already")
                log.info("skipped the audit of %s: %s", audit.name, why)
                return None
            try:
                with lock.heartbeat():
                    outcome = self._audit(audit, engine)
            finally:
                lock.release()
        finally:
            engine.dispose()
        return outcome

    def _audit(self, audit: AuditSpec, engine: Engine) -> Outcome | None:
        with session_factory(engine)() as session:
            before = session.scalar(select(func.max(Run.id)).where(Run.directory == audit.name)) or 0
        started = time.monotonic()
        with tempfile.TemporaryFile() as errors:
            with self._guard:
                if self.stopping.is_set():
                    return None
                # The child's `auditor audit` would take the directory's lock itself: it is ours already. It also
                # watches this process, to stop itself if we are killed outright.
                env = os.environ | {"AUDITOR_DB": audit.db_url} | child_environment(self.holder)
                child = subprocess.Popen(audit.command(), env=env,
                                         stdin=subprocess.DEVNULL, stderr=errors, start_new_session=True)
                self._children[audit.name] = child
            log.info("audit of %s started (pid %d)", audit.name, child.pid)
            try:
                code = self._wait(child)
            finally:
                with self._guard:
                    self._children.pop(audit.name, None)
            tail = _relay_tail(errors)
        seconds = time.monotonic() - started
        with session_factory(engine)() as session:
            run = session.scalars(select(Run).where(Run.directory == audit.name, Run.id > before)
                                  .order_by(Run.id).limit(1)).first()
            if run is not None and run.status == "running":  # killed before it could record how it ended
                status = "interrupted" if self.stopping.is_set() else "failed"
                run_store.fail_run(session, run.id, status, f"the audit process ended with exit code {code}")
                session.refresh(run)
        if run is None:  # it stopped before recording a run: a bad configuration, or killed while starting
            status = "interrupted" if self.stopping.is_set() else "failed"
            return Outcome(audit.name, audit.target, status, None, seconds, "",
                           error=tail or f"the audit process ended with exit code {code}")
        report = report_link(audit.report_dir, str(audit.options["report_url"])) if run.status == "completed" else ""
        return Outcome(audit.name, audit.target, run.status, run.id, seconds, report, dict(run.summary or {}),
                       run.error or "")

    def _wait(self, child: subprocess.Popen[bytes]) -> int:
        limit = float(self.schedule.options["stop_timeout_seconds"])
        while True:
            try:
                return child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                if self.stopping.is_set() and time.monotonic() - self.stopped_at > limit:
                    log.warning("the audit (pid %d) did not stop within %.0f s: killing it", child.pid, limit)
                    child.kill()


def _relay_tail(errors: IO[bytes]) -> str:
    """Pass the child's stderr on to ours; return its last line that says something (for the notification)."""
    errors.seek(0)
    text = errors.read().decode("utf-8", "replace")
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""
