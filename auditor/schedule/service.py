"""`auditor schedule`: APScheduler 3 runs each configured audit on its cron expression.

The jobs live in the store (`apscheduler_jobs`, SQLAlchemyJobStore), so a restarted scheduler knows when each
audit last fired: a run missed while it was down starts late when within `misfire_grace_seconds`, and several
missed runs coalesce into one. A job holds only the audit's name; what to run comes from this scheduler's
configuration. `--run-now` jobs live in memory and are not shared.

APScheduler 3 cannot share one job table between schedulers (see its FAQ): each scheduler process has its own
(`job_table`), and the directory lock is what keeps two machines' audits of one directory apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from auditor.schedule.config import AuditSpec, Schedule
from auditor.schedule.runner import Runner
from auditor.store.db import open_engine

log = logging.getLogger("auditor.schedule")
_services: dict[str, Service] = {}  # by job table: the job function finds its scheduler here


def scheduled_audit(table: str, name: str, now: bool = False) -> str:
    """The job APScheduler runs (stored by reference, so it must stay importable under this name)."""
    service = _services.get(table)
    if service is None:
        raise RuntimeError(f"no scheduler with job table {table} is running in this process")
    return service.run_job(name, now)


class Service:
    def __init__(self, schedule: Schedule, holder: str | None = None) -> None:
        self.schedule = schedule
        self.runner = Runner(schedule, holder)
        self.audits = {audit.name: audit for audit in schedule.audits}
        self.engine = open_engine(schedule.jobstore_url)  # migrated, with SQLite's WAL and busy timeout
        options = schedule.options
        self.table = str(options["job_table"])
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=self.table),
                       "local": MemoryJobStore()},
            job_defaults={"coalesce": bool(options["coalesce"]), "max_instances": 1,
                          "misfire_grace_time": int(options["misfire_grace_seconds"])},
            timezone=schedule.timezone,
        )

    @property
    def holder(self) -> str:
        return self.runner.holder

    def start(self, run_now: bool = False) -> None:
        if self.table in _services:
            raise RuntimeError(f"a scheduler with job table {self.table} is already running in this process")
        _services[self.table] = self
        self.scheduler.start(paused=True)
        self._sync_jobs()
        if run_now:
            for audit in self.schedule.audits:
                self.scheduler.add_job(scheduled_audit, "date", args=[self.table, audit.name, True],
                                       id=f"{audit.job_id}:now", jobstore="local", replace_existing=True,
                                       misfire_grace_time=None)
        self.scheduler.resume()

    def _sync_jobs(self) -> None:
        """Make the stored jobs match the configuration, keeping each unchanged job's stored next run time (that
        is what lets a run missed while the scheduler was down start late)."""
        wanted = {audit.job_id: audit for audit in self.schedule.audits}
        for job in self.scheduler.get_jobs(jobstore="default"):
            if job.id.startswith("audit:") and job.id not in wanted:
                log.info("removing the schedule of %s: it is no longer configured", job.id.removeprefix("audit:"))
                job.remove()
        for job_id, audit in wanted.items():
            trigger = self.schedule.trigger(audit)
            grace = int(audit.options["misfire_grace_seconds"])
            job = self.scheduler.get_job(job_id, jobstore="default")
            if job is None or job.args != (self.table, audit.name):
                self.scheduler.add_job(scheduled_audit, trigger, args=[self.table, audit.name], id=job_id,
                                       name=f"audit {audit.name}", jobstore="default", replace_existing=True,
                                       misfire_grace_time=grace)
                continue
            if job.misfire_grace_time != grace:
                job.modify(misfire_grace_time=grace)
            if repr(job.trigger) != repr(trigger):
                job.reschedule(trigger)

    def run_job(self, name: str, now: bool = False) -> str:
        audit = self.audits.get(name)
        if audit is None:
            log.warning("a stored job names %s, which this scheduler's configuration does not list", name)
            return "unknown"
        slot = None if now else last_fire_time(self.schedule.trigger(audit), audit)
        outcome = self.runner.run(audit, slot)
        return outcome.status if outcome else "skipped"

    def next_runs(self) -> list[tuple[AuditSpec, dt.datetime | None]]:
        return [(audit, getattr(self.scheduler.get_job(audit.job_id, jobstore="default"), "next_run_time", None))
                for audit in self.schedule.audits]

    def stop(self) -> None:
        """From a signal handler: no new audits; the running ones are asked to stop."""
        self.runner.stop()

    def shutdown(self) -> None:
        """Wait for the running audits (they record how they ended), then close the scheduler."""
        self.runner.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        _services.pop(self.table, None)
        self.engine.dispose()


def last_fire_time(trigger: CronTrigger, audit: AuditSpec, now: dt.datetime | None = None) -> dt.datetime:
    """The scheduled time this run is for: the trigger's latest fire time at or before now (within the misfire
    grace time). Two schedulers firing for the same time agree on it, so the lock lets only one of them audit."""
    now = now or dt.datetime.now(trigger.timezone)
    start = now - dt.timedelta(seconds=int(audit.options["misfire_grace_seconds"]) + 1)
    latest: dt.datetime | None = None
    fire: Any = trigger.get_next_fire_time(None, start)
    for _ in range(100_000):  # a six-field cron firing every second, over an hour of grace, stays well below
        if fire is None or fire > now:
            break
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return (latest or now).astimezone(dt.UTC)
