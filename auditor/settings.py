"""Every setting the auditor reads, with its default, in one place.

A directory overrides these in the `[settings]` table of its `auditor.toml`; the command line
overrides both where it has an option. The README's "Settings" table is checked against this
module by a test, so a setting cannot go undocumented.
"""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Store URL. Empty means a SQLite file at `<directory>/.auditor/auditor.db`.
    # `--db URL` or the AUDITOR_DB environment variable set it too (postgresql+psycopg://...).
    "db": "",
    # Where `auditor audit` writes the HTML report and ticket export. Relative paths are
    # resolved against the audited directory.
    "report_dir": ".auditor/report",
    # `auditor check` and `auditor audit` exit 1 when a finding at or above this severity exists.
    "fail_on": "error",
    # An entry gets a refresh ticket only when one of its findings is at least this severe;
    # findings below it still appear in the ticket once one is open, and in the report.
    "ticket_min_severity": "warning",
    # Days until a ticket is due, by priority.
    "due_days": {"urgent": 3, "high": 7, "normal": 30, "low": 90},
    # An entry whose `reviewed` date is older than this many times its kind's review interval
    # has its ticket priority raised one step.
    "stale_factor": 2.0,
    # File names (or paths relative to the directory) that are never read as entries.
    "exclude": ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE*"],
}

SEVERITY_NAMES = ("info", "warning", "error")
PRIORITIES = ("low", "normal", "high", "urgent")
