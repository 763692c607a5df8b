"""Objects that live for the whole run (entries, cache records, reused findings) kept out of the cyclic garbage
collector's sight once there are many: every full collection walks each object it tracks, and at 50 000 entries a
few of them cost seconds (a collection is due after enough allocations, whatever is being allocated).
`pipeline.run_audit` unfreezes at the end, so later runs in the same process start clean."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

LARGE = 5_000  # fewer objects than this (a test's directory): nothing is frozen, nothing outlives its run


def settle(count: int) -> None:
    """Freeze everything alive now when `count` (how many long-lived things were just made) is large."""
    if count >= LARGE:
        gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection while the block runs: for a burst that allocates many objects and no reference cycles (pickling
    or unpickling thousands of entries, building an index), each collection it would trigger walks the whole heap."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def frozen_during(count: int) -> Iterator[None]:
    """Everything alive now kept out of the collector's sight while the block runs, when `count` (how many long-lived
    things there are) is large: for the work after a run that allocates much while the run's entries and findings
    are still alive (the report, exports). As it was afterwards: unfrozen unless something was frozen before."""
    freezing = count >= LARGE and gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    try:
        yield
    finally:
        if freezing:
            gc.unfreeze()
