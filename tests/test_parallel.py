"""Checks shared out to forked workers find exactly what one process finds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.checks.engine import check_workers
from auditor.config import load_config
from auditor.pipeline import check_entries, load_entries

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"


def _findings(workers: int) -> list[tuple[str, str, int, str, str]]:
    config = load_config(EXAMPLES)
    config.settings.update(offline=True, check_workers=workers, parallel_min_entries=1)
    entries = load_entries(EXAMPLES, config)
    found = check_entries(entries, config, dt.date(2026, 11, 28), root=EXAMPLES)
    return [(f.entry, f.code, f.line, f.fingerprint, f.message) for f in found]


def test_workers_find_what_one_process_finds() -> None:
    one = _findings(1)
    assert one, "the example directory has planted problems"
    assert check_workers({"check_workers": 2, "parallel_min_entries": 1}, 30) == 2
    assert _findings(2) == one


def test_small_runs_stay_in_one_process() -> None:
    settings = {"check_workers": 4, "parallel_min_entries": 2000}
    assert check_workers(settings, 1999) == 1
    assert check_workers(settings, 50_000) == 4
    assert check_workers({"check_workers": 1, "parallel_min_entries": 1}, 50_000) == 1
    assert check_workers({"check_workers": 8, "parallel_min_entries": 1}, 3) == 3  # never more than entries
