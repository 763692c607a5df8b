"""When each entry last changed, and what says so: one place, after any source has loaded, before the checks.

Precedence (`git_dates` setting):
- `auto` (default): a date the entry states (`updated`, or an alias real formats use: `last_changed_keys` in
  rules/staleness_score.yml) is an editorial statement and wins; git history fills in what the entry does not
  state, when the directory lies in a git work tree. An entry that states its date is dated the same in a
  checkout, a tarball or an export.
- `prefer`: git history wins; the stated date only where git has none (a directory whose `updated` stamps are
  bumped by tools, or never).
- `off`: stated dates only.
`reviewed` is never replaced: it is the editor's statement that the entry was verified, which no commit makes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.config import Config
from auditor.models import Entry
from auditor.sources import git_dates
from auditor.sources.formats import get_path, parse_loose_date
from auditor.sources.markdown import parse_date

GIT_MODES = ("auto", "prefer", "off")
_DEFAULT_KEYS = ("updated", "updated_at", "updatedAt", "lastUpdated", "last_updated", "date_modified",
                 "dateModified", "modified", "last_modified")


def stated_date(entry: Entry, keys: list[str]) -> tuple[dt.date, str] | None:
    """(date, key) of the last change the entry states: `updated`, else the first alias key that holds a date."""
    if entry.updated is not None:
        return entry.updated, "updated"
    for key in keys:
        date = _first_date(entry.meta, [key])
        if date is not None:
            return date, key
    return None


def _first_date(record: dict, keys: list[str]) -> dt.date | None:
    for key in keys:
        value = get_path(record, key)
        if value is None or value == "":
            continue
        date = parse_date(value) or (parse_loose_date(value) if isinstance(value, str) else None)
        if date is not None:
            return date
    return None


def date_entries(entries: list[Entry], root: Path | None, config: Config, every: list[Entry] | None = None) -> None:
    """Set `last_changed`, `last_changed_by` and `last_changed_ref` on these entries (those already dated are left
    as they are). `every` is the whole directory's entries when only some are dated (what a mass commit is
    measured against)."""
    todo = [e for e in entries if not e.last_changed_by]
    if not todo:
        return
    data = config.pack.get("staleness_score", {})
    keys = list(data.get("last_changed_keys") or _DEFAULT_KEYS)
    review_keys = list(data.get("reviewed_keys") or ())
    mode = str(config.settings.get("git_dates") or "auto").strip().lower()
    for entry in todo:
        if entry.reviewed is None and review_keys and entry.meta:
            entry.reviewed = _first_date(entry.meta, review_keys)
        stated = stated_date(entry, keys)
        if stated:
            entry.last_changed, entry.last_changed_ref = stated
            entry.last_changed_by = "front-matter"
    if mode == "off" or root is None:
        return
    asking = [e for e in todo if mode == "prefer" or not e.last_changed_by]
    if asking and git_dates.work_tree(root):
        _from_git(asking, every or entries, root, config)


def _from_git(asking: list[Entry], every: list[Entry], root: Path, config: Config) -> None:
    settings = config.settings
    rule = git_dates.MassRule(float(settings.get("git_mass_commit_share", 0.5)),
                              int(settings.get("git_mass_commit_min", 10)), git_dates.ignore_revs(root))
    per_file: dict[str, int] = {}
    for entry in every:
        per_file[entry.path] = per_file.get(entry.path, 0) + 1
    # Entries that share their file and know their lines are dated by their lines; the rest by their files.
    by_lines = [e for e in asking if e.lines is not None and per_file.get(e.path, 0) > 1]
    by_file = [e for e in asking if not (e.lines is not None and per_file.get(e.path, 0) > 1)]
    if by_file:
        entry_files = {p for e in every for p in (e.path, e.twin_path) if p}
        wanted = {p for e in by_file for p in (e.path, e.twin_path) if p}
        changes = git_dates.file_changes(root, wanted, entry_files, rule)
        get = changes.get
        for entry in by_file:  # the newer of its file's and its twin's changes (its file's when they tie)
            change = get(entry.path)
            if entry.twin_path:
                twin = get(entry.twin_path)
                if twin is not None and (change is None or twin.date > change.date):
                    change = twin
            if change is not None:
                _set(entry, change)
    in_file: dict[str, list[Entry]] = {}
    for entry in by_lines:
        in_file.setdefault(entry.path, []).append(entry)
    for path, listed in sorted(in_file.items()):
        blame = git_dates.blame_lines(root, path, git_dates.list_mass_commits(root, path, rule))
        if blame is None:
            continue
        for entry in listed:
            change = git_dates.newest_in(entry.lines or (entry.body_start, entry.body_start), blame)
            if change is not None:
                _set(entry, change)


def _set(entry: Entry, change: git_dates.Change) -> None:
    if change.commit == git_dates.UNCOMMITTED:
        entry.last_changed, entry.last_changed_by, entry.last_changed_ref = None, "uncommitted", ""
    else:
        entry.last_changed, entry.last_changed_by, entry.last_changed_ref = change.date, "git", change.commit


def describe(entry: Entry) -> str:
    """Where the entry's last change is read from, for messages: `git: commit 1a2b3c4 on 2026-02-19`."""
    if entry.last_changed is None:
        return "uncommitted changes" if entry.last_changed_by == "uncommitted" else "no date"
    if entry.last_changed_by == "git":
        return f"git: commit {entry.last_changed_ref[:7]} on {entry.last_changed.isoformat()}"
    return f"front matter: {entry.last_changed_ref} {entry.last_changed.isoformat()}"
