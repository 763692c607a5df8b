"""`auditor schedule`: run the configured audits on their cron expressions (added to the main app in auditor/cli.py)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli_common import ConfigOpt, err, out
from auditor.config import ConfigError


def schedule_command(
    directory: Annotated[Path, typer.Argument(
        help="The folder whose auditor.toml has the [schedule] table (without [[schedule.audits]], the audit).")]
    = Path("."),
    config: ConfigOpt = None,
    run_now: Annotated[bool, typer.Option("--run-now", help="Also run every audit once right away.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Run every audit once now and exit (no scheduler).")] = False,
    show: Annotated[bool, typer.Option("--list", help="Show the audits, when each runs next and its lock; exit.")]
    = False,
) -> None:
    """Run the configured audits on a cron expression (default: Mondays 06:00), one at a time per directory, also
    across machines; SIGTERM stops cleanly, recording the running audit as interrupted."""
    from sqlalchemy.exc import SQLAlchemyError

    from auditor.schedule.config import load_schedule

    try:
        schedule = load_schedule(directory, config)
    except ConfigError as exc:
        err.print(f"error: {exc}", style="bold red")
        raise typer.Exit(2) from None
    _logging()
    try:
        if show:
            _show(schedule)
            return
        if once:
            raise typer.Exit(_once(schedule))
        _serve(schedule, run_now)
    except SQLAlchemyError as exc:
        err.print(f"error: a store failed: {type(exc).__name__}: {str(exc).splitlines()[0]}", style="bold red")
        raise typer.Exit(3) from None


def _logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    for name, level in (("auditor.schedule", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)


def _on_signals(stop: Any) -> threading.Event:
    """SIGTERM and Ctrl-C call `stop()` once; the returned event tells the main thread."""
    stopped = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if not stopped.is_set():
            err.print(f"{signal.Signals(signum).name}: stopping; no new audit starts, a running one is recorded as "
                      f"interrupted")
        stopped.set()
        stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stopped


def _channels(options: dict[str, Any]) -> str:
    names = [n for n, key in (("webhook", "webhook_url"), ("email", "smtp_host")) if options.get(key)]
    return ", ".join(names) or "none"


def _serve(schedule: Any, run_now: bool) -> None:
    from auditor.schedule.config import safe_url
    from auditor.schedule.service import Service

    service = Service(schedule)
    stopped = _on_signals(service.stop)
    service.start(run_now=run_now)
    out.print(f"Scheduler {service.holder}: {len(schedule.audits)} audit(s), jobs in {schedule.options['job_table']} "
              f"of {safe_url(schedule.jobstore_url)}")
    for audit, when in service.next_runs():
        out.print(f"  {audit.name}: cron {audit.options['cron']!r} ({schedule.timezone.key}), next "
                  f"{when:%Y-%m-%d %H:%M %Z}" if when else f"  {audit.name}: paused")
        out.print(f"    {audit.target} -> {safe_url(audit.db_url)}; notify: {_channels(audit.options)}")
    while not stopped.wait(0.5):
        pass
    service.shutdown()
    interrupted = [o for o in service.runner.outcomes if o.status == "interrupted"]
    for outcome in interrupted:
        out.print(f"interrupted: the audit of {outcome.name} (run #{outcome.run_id}) was recorded as interrupted")
    out.print("Scheduler stopped")


def _once(schedule: Any) -> int:
    from auditor.schedule.runner import Runner

    runner = Runner(schedule)
    stopped = _on_signals(runner.stop)
    skipped = 0
    for audit in schedule.audits:
        if stopped.is_set():
            break
        if runner.run(audit) is None:
            skipped += 1
    for o in runner.outcomes:
        out.print(f"{o.name}: {o.status}" + (f" (run #{o.run_id})" if o.run_id is not None else "")
                  + (f"; report {o.report}" if o.report else "") + (f"; {o.error}" if o.error else ""))
    if skipped:
        out.print(f"{skipped} audit(s) skipped: their directory's lock is held (see `auditor schedule --list`)")
    if stopped.is_set():
        return 130
    return 3 if any(o.status != "completed" for o in runner.outcomes) else 0


def _show(schedule: Any) -> None:
    import datetime as dt

    from rich.table import Table

    from auditor.schedule.config import safe_url
    from auditor.schedule.lock import read_lock
    from auditor.store.db import open_engine

    now = dt.datetime.now(schedule.timezone)
    table = Table(box=None, pad_edge=False)
    for column in ("audit", "cron", "next run", "store", "notify", "lock"):
        table.add_column(column)
    for audit in schedule.audits:
        fire = schedule.trigger(audit).get_next_fire_time(None, now)
        engine = open_engine(audit.db_url)
        try:
            state = read_lock(engine, audit.name)
        finally:
            engine.dispose()
        lock = (f"held by {state.holder} until {state.expires_at:%H:%M:%S} UTC" if state and state.held()
                else "free")
        table.add_row(audit.name, str(audit.options["cron"]), f"{fire:%Y-%m-%d %H:%M %Z}" if fire else "never",
                      safe_url(audit.db_url), _channels(audit.options), lock)
    out.print(table)

