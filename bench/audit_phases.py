"""CPU seconds of `auditor audit` by phase, in-process: the real command, with `time.process_time` around the
functions below (an unprofiled run; forked check workers are not counted). Phases nest: `rules` holds `plan`,
`check_entries` holds both, `run_audit` and `report` hold the phases listed under them. Prints one line to stderr:

    python bench/audit_phases.py audit DIR --as-of 2026-11-28 --offline

Old code against new: run it from /tmp with `PYTHONPATH` set to the old tree (see bench/README.md).
"""

from __future__ import annotations

import atexit
import importlib
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

# (label, module, attribute): the function is replaced where the caller looks it up (the module it is called from)
PHASES = (
    ("load", "auditor.sources.base", "FolderSource.load"),
    ("plan", "auditor.checks.cache", "EntryCache.plan"),
    ("rules", "auditor.checks.engine", "run_rules"),
    ("check_entries", "auditor.pipeline", "check_entries"),
    ("scores", "auditor.pipeline", "score_entries"),
    ("store rows", "auditor.store.runs", "record_entries_and_findings"),
    ("ticket sync", "auditor.tickets.sync", "sync_tickets"),
    ("run_audit", "auditor.pipeline", "run_audit"),
    ("report view", "auditor.report", "build_context"),
    ("report pages", "auditor.report", "write_pages"),
    ("report", "auditor.report", "write_report"),
    ("exports", "auditor.cli", "_write_ticket_exports"),
    ("findings.json", "auditor.cli", "format_json"),
)
spent: dict[str, float] = {}


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.process_time() - started
    return timed


def _wrap(label: str, module: str, attribute: str) -> None:
    owner: Any = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    setattr(owner, name, _timed(label, getattr(owner, name)))


def _show() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    phases = " ".join(f"{label}={seconds:.2f}" for label, seconds in spent.items())
    print(f"PHASES {phases} total_main={usage.ru_utime + usage.ru_stime:.2f}", file=sys.stderr)


def main() -> None:
    for label, module, attribute in PHASES:
        _wrap(label, module, attribute)
    atexit.register(_show)
    from auditor.cli import main as cli

    sys.argv = ["auditor", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
