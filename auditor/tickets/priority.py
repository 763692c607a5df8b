"""How urgent a ticket is, and when it is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from auditor.models import Severity
from auditor.settings import PRIORITIES

_BASE = {Severity.error: "high", Severity.warning: "normal", Severity.info: "low"}


def raise_priority(priority: str, steps: int = 1) -> str:
    index = min(PRIORITIES.index(priority) + steps, len(PRIORITIES) - 1)
    return PRIORITIES[index]


def compute_priority(severities: Iterable[Severity], stale: bool, reopen_count: int) -> str:
    """From the worst finding; one step up for a long-unreviewed entry and one per time it came back."""
    worst = max(severities, default=Severity.info)
    steps = (1 if stale else 0) + reopen_count
    return raise_priority(_BASE[worst], steps)


def due_date(as_of: dt.date, priority: str, settings: dict[str, Any]) -> dt.date:
    return as_of + dt.timedelta(days=int(settings["due_days"][priority]))
