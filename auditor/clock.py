"""The one clock every check compares against; `--as-of DATE` sets it."""

from __future__ import annotations

import datetime as dt

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # room for every "N years before/after" a rule takes


def parse_as_of(value: str | None) -> dt.date:
    """The audit date: the given ISO date (between EARLIEST and LATEST), or today when none is given."""
    if value is None:
        return dt.date.today()
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--as-of expects a date like 2026-11-28, got {value!r}") from None
    if not EARLIEST <= date <= LATEST:
        raise ValueError(f"--as-of {value}: expected a date from {EARLIEST} to {LATEST}")
    return date
