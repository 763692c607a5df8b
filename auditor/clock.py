"""The one clock every check compares against; `--as-of DATE` sets it."""

from __future__ import annotations

import datetime as dt


def parse_as_of(value: str | None) -> dt.date:
    """The audit date: the given ISO date, or today when none is given."""
    if value is None or value == "":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--as-of expects a date like 2026-11-28, got {value!r}") from None
