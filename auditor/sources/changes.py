"""What changed in a directory since a git revision: the files, and in each the lines that are new or edited.

`auditor check --changed-since REV` checks the entries a branch changed and keeps the findings on the lines it
changed, so CI annotates what a pull request did and does not fail it for what was there before. The branch is
compared with the merge base of REV and HEAD (what a pull request's diff shows), working-tree edits included;
files git does not track yet count as new throughout. Files the change removed or renamed away are kept too:
an entry that lists a removed id in `related` is broken by the change even though its own lines are not.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


class ChangesError(ValueError):
    """The changes cannot be read (not a git work tree, an unknown revision, git missing); the message says why."""


@dataclass
class Changes:
    rev: str
    base: str  # the commit compared with
    lines: dict[str, set[int]] = field(default_factory=dict)  # path relative to the root -> changed lines
    new: set[str] = field(default_factory=set)  # files git does not track: every line is new
    removed: set[str] = field(default_factory=set)  # files deleted, or renamed to another path

    @property
    def removed_ids(self) -> set[str]:
        """The ids the removed files may have had: the file's name (`tools/x.md`), or its folder's for a file
        named after its kind (`skills/x/SKILL.md`)."""
        ids = set()
        for path in self.removed:
            name = PurePosixPath(path)
            ids.add(name.stem)
            if name.parent.name and (name.stem.isupper() or name.stem in ("index", "_index")):
                ids.add(name.parent.name)
        return ids

    @property
    def files(self) -> list[str]:
        return sorted(set(self.lines) | self.new)

    def touches(self, path: str, line: int) -> bool:
        return path in self.new or line in self.lines.get(path, ())


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise ChangesError("git is not installed: --changed-since needs it") from None
    stderr = done.stderr.decode("utf-8", errors="replace").strip()
    if done.returncode != 0:
        raise ChangesError(stderr.splitlines()[-1] if stderr else f"git {args[0]} failed")
    # Paths are bytes to git: one that is not UTF-8 keeps its bytes through surrogate escapes, as os.fsdecode does.
    return done.stdout.decode("utf-8", errors="surrogateescape")


def changes_since(root: Path, rev: str) -> Changes:
    """The files under `root` changed since `rev` (its merge base with HEAD), with their changed lines."""
    try:
        _git(root, "rev-parse", "--is-inside-work-tree")
    except ChangesError:
        raise ChangesError(f"{root} is not in a git work tree: --changed-since compares with a git revision") from None
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except ChangesError:
        raise ChangesError(f"unknown revision {rev!r} (fetch it first, e.g. `git fetch origin main`)") from None
    try:
        base = _git(root, "merge-base", rev, "HEAD").strip()
    except ChangesError:  # unrelated histories, or no commit yet on HEAD: compare with the revision itself
        base = rev
    changes = Changes(rev, base)
    # `-z` with the raw listing: each path comes NUL-terminated, exactly as it is (spaces, tabs, quotes, newlines,
    # non-ASCII); the patch that follows only gives the changed lines, one `diff --git` section per listed file.
    output = _git(root, "diff", "-z", "--patch-with-raw", "--relative", "--unified=0", "--no-color", "--no-ext-diff",
                  "--find-renames", base, "--", ".")
    raw, _, patch = output.partition("\0\0")
    sections = [part for part in _SECTION.split(patch) if part.startswith("diff --git ")]
    files = [record for record in _raw_records(raw) if record[0] != "U"]  # unmerged paths have no section
    for (status, old, new), section in zip(files, sections, strict=False):
        if status == "D":
            changes.removed.add(old)
            continue
        if status == "R":
            changes.removed.add(old)
        lines = changes.lines.setdefault(new, set())
        for hunk in _HUNK.finditer(section):
            start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
            if count:
                lines.update(range(start, start + count))
            else:  # lines removed after `start`: what now sits on either side of the cut has changed
                lines.update({max(start, 1), start + 1})
    for path in _git(root, "ls-files", "-z", "--others", "--exclude-standard").split("\0"):
        if path:
            changes.new.add(path)
    return changes


_SECTION = re.compile(r"^(?=diff --git )", re.MULTILINE)


def _raw_records(raw: str) -> list[tuple[str, str, str]]:
    """(status letter, old path, new path) from `git diff -z --raw`: `:modes shas STATUS`, then one path, or two
    for a rename or a copy, each NUL-terminated."""
    fields = raw.split("\0")
    records = []
    at = 0
    while at < len(fields):
        meta = fields[at]
        if not meta.startswith(":"):
            at += 1
            continue
        status = meta.split()[-1][:1]
        if status in ("R", "C"):
            old, new = fields[at + 1], fields[at + 2]
            at += 3
        else:
            old = new = fields[at + 1]
            at += 2
        records.append((status, old, new))
    return records
