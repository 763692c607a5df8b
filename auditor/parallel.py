"""Sharing CPU-bound work out to forked worker processes (reading front matter, checking entries)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.pool import Pool
from typing import Any


def worker_count(settings: dict[str, Any], count: int) -> int:
    """How many processes share work on `count` items: 1 below `parallel_min_entries`, where fork is missing,
    or when `workers` is 1; otherwise `workers` (0 means one per CPU), never more than the items."""
    wanted = int(settings.get("workers", 0) or 0) or (os.cpu_count() or 1)
    if wanted <= 1 or count < int(settings.get("parallel_min_entries", 2000)):
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(wanted, count)


def _worker_init() -> None:
    # The main process handles Ctrl-C and SIGTERM (a run is recorded as interrupted); a worker just stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def fork_pool(workers: int) -> Pool:
    """A pool of forked workers: they inherit what the parent holds (entries, prepared rules) without copying it
    through a pipe. Leave it with close() and join(): terminating a worker that holds the task queue's lock
    leaves its sibling waiting for that lock forever."""
    return multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init)
