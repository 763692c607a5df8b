"""The scheduler end to end: audits in child processes, the lock between two schedulers, missed runs after a
restart, notifications to local servers, and SIGTERM in the middle of a run. No test waits for a real Monday."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.schedule import service as service_module
from auditor.schedule.config import AuditSpec, load_schedule
from auditor.schedule.lock import DirectoryLock, read_lock
from auditor.schedule.runner import Runner
from auditor.schedule.service import Service, last_fire_time
from auditor.store.db import open_engine, session_factory
from auditor.store.models import Run, Ticket
from tests.helpers import AS_OF, skill, write_tree
from tests.schedule_servers import slow_page, smtp_server, webhook_server

ROOT = Path(__file__).resolve().parent.parent


def make_directory(tmp_path: Path, schedule: str, links: str = "") -> Path:
    """Two entries, one pointing at a missing one (a ticket), and a [schedule] table."""
    front = f"links: {{docs: {links}}}\n" if links else ""
    return write_tree(tmp_path / "dir", {
        "auditor.toml": 'name = "demo"\n[settings]\nallow_private_addresses = true\nlink_wayback_url = ""\n'
                        'link_retries = 0\nlink_timeout = 60.0\n' + schedule,
        "skills/alpha.md": skill("alpha", ["beta"], extra_front=front),
        "skills/beta.md": skill("beta", ["gamma"]),  # XRF001: gamma does not exist
    })


def runs(db_url: str) -> list[Run]:
    engine = open_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(Run).order_by(Run.id)))
    finally:
        engine.dispose()


def test_a_scheduled_run_writes_the_report_updates_tickets_and_notifies(tmp_path: Path) -> None:
    with webhook_server() as (hook_url, hooks), smtp_server() as (port, mail):
        root = make_directory(tmp_path, f"""
[schedule]
webhook_url = "{hook_url}"
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_from = "auditor@example.org"
smtp_to = ["maintainers@example.org"]
report_url = "https://reports.example/demo/"
[[schedule.audits]]
directory = "."
offline = true
""")
        schedule = load_schedule(root)
        runner = Runner(schedule)
        outcome = runner.run(schedule.audits[0])
        assert mail.arrived.wait(5)
    assert outcome is not None and outcome.status == "completed", outcome
    (run,) = runs(schedule.audits[0].db_url)
    assert (run.id, run.status, run.entries_count) == (outcome.run_id, "completed", 2)
    assert (root / ".auditor" / "report" / "index.html").is_file()
    assert "XRF001" in (root / ".auditor" / "report" / "tickets.md").read_text(encoding="utf-8")
    engine = open_engine(schedule.audits[0].db_url)
    with session_factory(engine)() as session:  # the run is for today: only beta's broken reference is certain
        assert "beta" in [t.entry_id for t in session.scalars(select(Ticket))]
    assert read_lock(engine, "demo").holder is None  # released
    engine.dispose()
    text = hooks.items[0]["json"]["text"]
    assert f"run #{run.id}" in text and "completed" in text
    assert f"Tickets: {run.summary['tickets']['opened']} opened" in text
    assert "Report: https://reports.example/demo/index.html" in text
    assert "https://reports.example/demo/index.html" in mail.items[0]["data"]


def test_a_held_lock_skips_the_run_without_starting_it(tmp_path: Path) -> None:
    root = make_directory(tmp_path, "")
    schedule = load_schedule(root)
    audit = schedule.audits[0]
    engine = open_engine(audit.db_url)
    assert DirectoryLock(engine, "demo", holder="other-machine:42").acquire()
    runner = Runner(schedule)
    assert runner.run(audit) is None
    assert runs(audit.db_url) == [] and runner.outcomes == []
    assert read_lock(engine, "demo").holder == "other-machine:42"
    engine.dispose()


def test_the_slot_is_the_latest_scheduled_time() -> None:
    schedule_options = {"misfire_grace_seconds": 3600, "cron": "0 6 * * mon"}
    audit = AuditSpec("/d", "d", "sqlite://", Path("/d/r"), schedule_options)
    from auditor.schedule.config import cron_trigger

    trigger = cron_trigger("0 6 * * mon", dt.UTC)
    monday = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert last_fire_time(trigger, audit, monday + dt.timedelta(minutes=20)) == monday
    assert last_fire_time(trigger, audit, monday) == monday
    every_second = cron_trigger("* * * * * *", dt.UTC)
    assert last_fire_time(every_second, audit, monday + dt.timedelta(seconds=3.5)) == monday + dt.timedelta(seconds=3)


class Recorder:
    """Stands in for the child process where only the scheduling is under test."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, audit: AuditSpec, slot: dt.datetime | None = None) -> None:
        self.calls.append((audit.name, slot))


def _wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize(("late", "grace", "runs_expected"), [
    (120, 3600, 1),  # two minutes late, an hour of grace: it runs
    (120, 10, 0),  # beyond the grace time: skipped until next time
    (800 * 86400, 10**9, 1),  # three yearly runs missed (Jan 1 every year), all within grace: coalesced into one
])
def test_a_run_missed_while_stopped_starts_late_within_the_grace_time(
        tmp_path: Path, db_url: str, late: int, grace: int, runs_expected: int) -> None:
    root = make_directory(tmp_path, f'[schedule]\ncron = "0 0 1 1 *"\nmisfire_grace_seconds = {grace}\n'
                                    f'db = "{db_url}"\n')
    schedule = load_schedule(root)
    first = Service(schedule)
    first.start()
    assert first.scheduler.get_job("audit:demo").next_run_time.timetuple()[1:3] == (1, 1)
    first.shutdown()
    # As if the scheduler had been down when the audit was due: the stored job's next run time is in the past.
    store = SQLAlchemyJobStore(engine=first.engine, tablename="apscheduler_jobs")
    store.start(first.scheduler, "default")
    job = store.lookup_job("audit:demo")
    missed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=late)
    job.next_run_time = missed
    store.update_job(job)
    store.shutdown()

    again = Service(load_schedule(root))
    recorder = Recorder()
    again.runner.run = recorder  # type: ignore[method-assign]
    again.start()
    try:
        _wait_for(lambda: recorder.calls, 3.0 if runs_expected else 0.6)
        assert len(recorder.calls) == runs_expected
        assert again.scheduler.get_job("audit:demo").next_run_time.month == 1  # on to next year's
    finally:
        again.shutdown()


def test_restart_keeps_jobs_in_step_with_the_configuration(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path, f'[schedule]\ndb = "{db_url}"\n')
    service = Service(load_schedule(root))
    service.start(run_now=False)
    service.scheduler.add_job(service_module.scheduled_audit, "cron", args=["apscheduler_jobs", "gone"],
                              id="audit:gone", hour=1)
    service.shutdown()
    (root / "auditor.toml").write_text((root / "auditor.toml").read_text() + 'cron = "0 7 * * tue"\n')
    service = Service(load_schedule(root))
    service.start()
    try:
        jobs = {job.id: job for job in service.scheduler.get_jobs(jobstore="default")}
        assert set(jobs) == {"audit:demo"}
        assert "day_of_week='tue'" in repr(jobs["audit:demo"].trigger) and jobs["audit:demo"].coalesce is True
    finally:
        service.shutdown()


@pytest.mark.slow
def test_two_schedulers_every_second_run_twice_and_never_overlap(tmp_path: Path) -> None:
    """Two schedulers (as on two machines: their own job tables and holders) fire the same audit every second;
    each audit takes longer than that. The lock lets exactly one audit run at a time."""
    with webhook_server() as (hook_url, hooks):
        root = make_directory(tmp_path, f'[schedule]\ncron = "* * * * * *"\nmisfire_grace_seconds = 1\n'
                                        f'webhook_url = "{hook_url}"\n[[schedule.audits]]\ndirectory = "."\n'
                                        f'offline = true\n')
        a = Service(load_schedule(root), holder="machine-a:1")
        second = load_schedule(root)
        second.options["job_table"] = "apscheduler_jobs_b"
        b = Service(second, holder="machine-b:2")
        url = a.schedule.audits[0].db_url
        a.start()
        b.start()
        try:
            assert _wait_for(lambda: len([r for r in runs(url) if r.status == "completed"]) >= 2, 30)
        finally:
            a.shutdown()
            b.shutdown()
    done = runs(url)
    assert all(r.status == "completed" for r in done)
    spans = sorted((r.started_at, r.finished_at) for r in done)
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False)), spans
    assert len(hooks.items) == len(done)
    assert {o.run_id for o in a.runner.outcomes} | {o.run_id for o in b.runner.outcomes} == {r.id for r in done}


@pytest.mark.slow
def test_sigterm_mid_run_records_it_interrupted_and_exits_cleanly(tmp_path: Path) -> None:
    with slow_page(seconds=60) as (page, hit, _release), webhook_server() as (hook_url, hooks):
        root = make_directory(tmp_path, f'[schedule]\nwebhook_url = "{hook_url}"\nstop_timeout_seconds = 20\n',
                              links=page)
        url = load_schedule(root).audits[0].db_url
        first = run_audit(root, load_config(root), dt.date.fromisoformat(AS_OF), url)  # an earlier run and ticket
        scheduler = subprocess.Popen([sys.executable, "-m", "auditor", "schedule", str(root), "--run-now"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=os.environ | {"AUDITOR_DB": ""})
        try:
            assert hit.wait(30), "the scheduled audit never reached its links"
            assert runs(url)[-1].status == "running"
            scheduler.send_signal(signal.SIGTERM)
            stdout, stderr = scheduler.communicate(timeout=30)
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
        assert hooks.arrived.wait(5)
    assert scheduler.returncode == 0, stderr
    assert "recorded as interrupted" in stdout and "Scheduler stopped" in stdout
    earlier, interrupted = runs(url)
    assert (earlier.id, earlier.status) == (first.run_id, "completed")
    assert interrupted.status == "interrupted" and interrupted.finished_at is not None
    assert "KeyboardInterrupt" in (interrupted.error or "")
    engine = open_engine(url)
    with session_factory(engine)() as session:
        (ticket,) = session.scalars(select(Ticket))
        assert (ticket.entry_id, ticket.status, ticket.last_run_id) == ("beta", "open", first.run_id)
    assert read_lock(engine, "demo").holder is None
    engine.dispose()
    assert "interrupted" in hooks.items[0]["json"]["text"]
    listing = CliRunner().invoke(app, ["runs", "--db", url], catch_exceptions=False).stdout
    rows = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert "completed" in rows[f"#{earlier.id}"] and " error · " in rows[f"#{earlier.id}"]
    assert "interrupted" in rows[f"#{interrupted.id}"] and "KeyboardInterrupt" in rows[f"#{interrupted.id}"]


def test_an_audit_whose_scheduler_is_killed_stops_itself_and_records_it_interrupted(tmp_path: Path) -> None:
    with slow_page(seconds=60) as (page, hit, _release):
        root = make_directory(tmp_path, "[schedule]\n", links=page)
        url = load_schedule(root).audits[0].db_url
        scheduler = subprocess.Popen([sys.executable, "-m", "auditor", "schedule", str(root), "--run-now"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=os.environ | {"AUDITOR_DB": ""})
        try:
            assert hit.wait(30), "the scheduled audit never reached its links"
            assert runs(url)[-1].status == "running"
            scheduler.kill()  # SIGKILL: the scheduler cannot stop its audit
            scheduler.wait(10)
            deadline = time.monotonic() + 30
            while runs(url)[-1].status == "running" and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
    (run,) = runs(url)
    assert run.status == "interrupted" and "KeyboardInterrupt" in (run.error or "")
