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

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


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
                              text=True, check=False)
    except FileNotFoundError:
        raise ChangesError("git is not installed: --changed-since needs it") from None
    if done.returncode != 0:
        raise ChangesError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"git {args[0]} failed")
    return done.stdout


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
    diff = _git(root, "diff", "--relative", "--unified=0", "--no-color", "--no-ext-diff", "--find-renames", base,
                "--", ".")
    current: set[int] | None = None
    old_path = ""  # the `--- a/...` side of the file being read
    header = False  # between `diff --git` and the first hunk: an added line may start with "++ " too
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            header = True
        elif not header:
            if line.startswith("@@") and current is not None and (hunk := _HUNK.match(line)):
                start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
                if count:
                    current.update(range(start, start + count))
                else:  # lines removed after `start`: what now sits on either side of the cut has changed
                    current.update({max(start, 1), start + 1})
        elif line.startswith("rename from "):  # a rename (with or without edits): the old path is gone
            changes.removed.add(_unquote(line[len("rename from "):]))
        elif line.startswith("--- "):
            old_path = _unquote(line[4:])[2:]
        elif line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":  # deleted
                changes.removed.add(old_path)
                current = None
            else:
                current = changes.lines.setdefault(_unquote(target)[2:], set())
            header = False  # the hunks follow
    for path in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        if path:
            changes.new.add(_unquote(path))
    return changes


def _unquote(path: str) -> str:
    """git writes a path holding quotes, tabs or backslashes in C-style quotes."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        escapes = {"\\\\": "\\", '\\"': '"', "\\t": "\t", "\\n": "\n"}
        return re.sub(r'\\[\\"tn]', lambda m: escapes[m.group(0)], path[1:-1])
    return path
