"""When each entry last changed, read from git history: batched, and looking past commits that only reformat.

Two kinds of question, each answered with few git processes whatever the number of entries:

- a file entry (one entry per file, with its twin file if any): the newest commit that changed the file, from
  one `git log` walked once over the whole directory (newest first; the first sighting of a path wins);
- an entry that is part of a file (an awesome-list bullet, a record of a JSON list: the entries that know their
  `lines`): the newest commit among its own lines, from one `git blame` per such file.

Commits that only reformat are looked past: whitespace-only changes (`-w`), the revisions listed in
`.git-blame-ignore-revs`, a pure rename (followed to the old path), and mass commits: a commit that changes more
than `git_mass_commit_share` of the directory's entry files (or deletes more than that share of a list file's
lines) and at least `git_mass_commit_min` of them. A file only ever changed by mass commits dates from the oldest
of them (the one that created it); a line that only an ignored commit can explain stays on that commit, as git
blame leaves it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

UNCOMMITTED = "0" * 40
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


@dataclass(frozen=True)
class Change:
    """The commit that last changed something: its full hash and its committer date (UTC)."""

    commit: str
    date: dt.date


@dataclass
class MassRule:
    """What makes a commit a mass commit, looked past like a reformat."""

    share: float = 0.5
    minimum: int = 10
    ignored: frozenset[str] = frozenset()  # revisions named in .git-blame-ignore-revs


def _git(root: Path, *args: str) -> list[str]:
    return ["git", "-C", str(root), "-c", "core.quotepath=off", *args]


def _env() -> dict[str, str]:
    return {**os.environ, **_GIT_ENV}


def work_tree(root: Path) -> bool:
    """Whether `root` lies inside a git work tree (and git is installed)."""
    if shutil.which("git") is None:
        return False
    try:
        done = subprocess.run(_git(root, "rev-parse", "--is-inside-work-tree"), capture_output=True, text=True,
                              env=_env(), timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def ignore_revs(root: Path) -> frozenset[str]:
    """Revisions listed in the repository's `.git-blame-ignore-revs` (full hashes; comments left out)."""
    try:
        top = subprocess.run(_git(root, "rev-parse", "--show-toplevel"), capture_output=True, text=True,
                             env=_env(), timeout=30, check=False).stdout.strip()
        text = (Path(top) / ".git-blame-ignore-revs").read_text(encoding="utf-8") if top else ""
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return frozenset()
    revs = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(rev.lower() for rev in revs if len(rev) == 40)


def _date(seconds: str) -> dt.date:
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).date()


# -- one `git log` for the file entries ------------------------------------------------------------------------

class _FileChange(NamedTuple):  # a tuple: the first commit of a large directory lists every one of its files
    added: str  # with --name-status: the status letter and score (M, A, D, R100 ...)
    deleted: str
    old: str
    new: str


def _log_commits(root: Path, extra: list[str], names: bool = False) -> Iterator[tuple[str, str, list[_FileChange]]]:
    """(hash, committer time, changed files) of every commit touching `root`, newest first, streamed: line counts
    with whitespace-only changes left out (`-w --numstat`), or with `names` only each file's status, which needs no
    file contents. Closing the generator stops git."""
    stat = ["--name-status"] if names else ["-w", "--numstat"]
    command = _git(root, "log", "-z", *stat, "-M", "--no-ext-diff", "--no-textconv", "--relative",
                   "--format=%x01%H%x02%ct", *extra)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            env=_env())
    assert proc.stdout is not None
    try:
        buffer = b""
        for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
            *complete, buffer = (buffer + chunk).split(b"\x01")
            for part in complete:
                if part:
                    yield _parse_commit(part, names)
        if buffer:
            yield _parse_commit(buffer, names)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.wait()


def _parse_commit(part: bytes, names: bool = False) -> tuple[str, str, list[_FileChange]]:
    header, _, rest = part.partition(b"\0")
    sha, _, seconds = header.decode("ascii", "replace").partition("\x02")
    # Decoded whole, then split: a NUL is never part of a UTF-8 sequence, so the tokens are those decoded one by one
    tokens = rest.lstrip(b"\n").decode("utf-8", "surrogateescape").split("\0")
    files: list[_FileChange] = []
    at = 0
    while at < len(tokens):
        token = tokens[at]
        at += 1
        if not token:
            continue
        if names:  # a status, then one path, or two for a rename or a copy
            if token[:1] in "RC":
                paths = (tokens[at:at + 2] + [""])[:2]
                at += 2
                files.append(_FileChange(token, "", paths[0], paths[1]))
            else:
                path = tokens[at] if at < len(tokens) else ""
                at += 1
                files.append(_FileChange(token, "", path, path))
            continue
        added, _, tail = token.partition("\t")
        deleted, _, path = tail.partition("\t")
        if not path:  # a rename: the old and the new path are the next two fields
            path, new = (tokens[at:at + 2] + ["", ""])[:2]
            at += 2
            files.append(_FileChange(added, deleted, path, new))
        else:
            files.append(_FileChange(added, deleted, path, path))
    return sha, seconds, files


def file_changes(root: Path, wanted: set[str], entry_files: set[str], rule: MassRule) -> dict[str, Change]:
    """The last change of each wanted file (paths relative to `root`), from one `git log` walked once, newest
    first, with the files' statuses; a second `git log` lists the modifications that change more than whitespace
    (counting lines of modified files only: the added ones, most of a history, are never read).
    `entry_files` are all the directory's entry files (what a mass commit changes a share of)."""
    real = {(sha, f.new) for sha, _, files in _log_commits(root, ["--diff-filter=MRCT", "--", "."])
            for f in files if (f.added, f.deleted) != ("0", "0")}
    looking = {path: path for path in wanted}  # the name in history -> the path today
    found: dict[str, Change] = {}
    oldest_mass: dict[str, Change] = {}
    threshold = max(rule.minimum - 1, rule.share * len(entry_files))
    commits = _log_commits(root, ["--", "."], names=True)
    try:
        for sha, seconds, files in commits:
            if not looking:
                break
            touched = [f for f in files if f.new in looking and f.added[:1] != "D"]
            if not touched:
                continue
            mass = sha in rule.ignored or (len(files) > threshold and
                                           sum(1 for f in files if f.new in entry_files or f.new in looking)
                                           > threshold)
            change = Change(sha, _date(seconds))
            for f in touched:
                status = f.added[:1]
                if status != "A" and (sha, f.new) not in real:
                    looking[f.old] = looking.pop(f.new)  # whitespace only, or a pure rename: the content is older
                    continue
                today = looking.pop(f.new)
                if mass:
                    oldest_mass[today] = change
                    looking[f.old] = today
                    continue
                found[today] = change
    finally:
        commits.close()
    for today, change in oldest_mass.items():
        found.setdefault(today, change)
    return found


# -- one `git blame` per list file ---------------------------------------------------------------------------

def list_mass_commits(root: Path, rel: str, rule: MassRule) -> list[str]:
    """Commits that deleted more than the mass share of the list file's lines (a reformat, a regenerated table),
    and the ignore-revs entries that touched it: what blame is told to look past."""
    history = list(_log_commits(root, ["--follow", "--", rel]))
    length = 0
    mass: list[str] = []
    for sha, _seconds, files in reversed(history):  # oldest first, to know the file's length before each commit
        added = sum(int(f.added) for f in files if f.added.isdigit())
        deleted = sum(int(f.deleted) for f in files if f.deleted.isdigit())
        if sha in rule.ignored or (deleted >= rule.minimum and deleted > rule.share * length):
            mass.append(sha)
        length = max(0, length + added - deleted)
    return mass


def blame_lines(root: Path, rel: str, ignore: list[str]) -> tuple[dict[int, str], dict[str, dt.date]] | None:
    """(line -> commit, commit -> committer date) of a file as it is on disk, whitespace-only changes and the
    `ignore` commits looked past; None when git cannot blame it (not committed, not a text file ...)."""
    args = ["blame", "-w", "--incremental"]
    for sha in ignore:
        args += ["--ignore-rev", sha]
    try:
        done = subprocess.run(_git(root, *args, "--", rel), capture_output=True, env=_env(), timeout=300,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    line_commit: dict[int, str] = {}
    dates: dict[str, dt.date] = {}
    current = ""
    for raw in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        head, _, value = raw.partition(" ")
        if len(head) == 40 and value[:1].isdigit():
            current = head
            _orig, final, count = (value.split(" ") + ["1"])[:3]
            start = int(final)
            for number in range(start, start + int(count)):
                line_commit[number] = current
        elif head == "committer-time" and current:
            dates[current] = _date(value)
    return line_commit, dates


def newest_in(span: tuple[int, int], blame: tuple[dict[int, str], dict[str, dt.date]]) -> Change | None:
    """The newest commit among a span's lines; a span with an uncommitted line is dated by no commit."""
    line_commit, dates = blame
    best: Change | None = None
    for number in range(span[0], span[1] + 1):
        sha = line_commit.get(number)
        if sha is None:
            continue
        if sha == UNCOMMITTED:
            return Change(UNCOMMITTED, dt.date.max)
        date = dates.get(sha)
        if date is not None and (best is None or date > best.date):
            best = Change(sha, date)
    return best
