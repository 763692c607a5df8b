"""What an audit started by `auditor schedule` knows of its scheduler: that the directory's lock is held for it,
and which process to outlive no longer. A scheduler killed outright (SIGKILL, a lost machine) cannot stop its
audit; the audit notices its parent is gone and stops itself as on SIGTERM, recording its run as interrupted."""

from __future__ import annotations

import os
import signal
import threading

LOCK_HOLDER_ENV = "AUDITOR_LOCK_HOLDER"  # the scheduler holds the directory's lock for this audit
SCHEDULER_PID_ENV = "AUDITOR_SCHEDULER_PID"  # the scheduler's process id
CHECK_SECONDS = 1.0


def child_environment(holder: str) -> dict[str, str]:
    """What the scheduler adds to its audit's environment."""
    return {LOCK_HOLDER_ENV: holder, SCHEDULER_PID_ENV: str(os.getpid())}


def stop_when_scheduler_dies() -> threading.Event | None:
    """In an audit a scheduler started: watch the scheduler, and SIGTERM this process when it is gone (the
    process is re-parented). Returns an event that ends the watch, or None outside a scheduler's audit."""
    expected = os.environ.get(SCHEDULER_PID_ENV, "")
    if not expected.isdigit():
        return None
    if os.getppid() != int(expected):  # started by something else with the variable set: nothing to watch
        return None
    done = threading.Event()

    def watch() -> None:
        while not done.wait(CHECK_SECONDS):
            if os.getppid() != int(expected):
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="scheduler-watch", daemon=True).start()
    return done
