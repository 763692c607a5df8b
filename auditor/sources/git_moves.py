"""What became of files that are no longer there: renamed (to where) or deleted (in which commit), from git.

One `git log --name-status -M --diff-filter=RD` pass over the checkout answers every question of a run: a
missing link target, manifest item or related id is looked up in it, never one `git log --follow` per link.
Outside a git checkout, or when git is missing, there is no history and every lookup answers None.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_INDEX_NAMES = ("skill.md", "readme.md", "index.md", "index.mdx")
_TIMEOUT = 120


@dataclass(frozen=True)
class Move:
    """The newest thing that happened to a path: renamed to `new`, or deleted (`new` is None)."""

    old: str
    new: str | None
    commit: str
    date: str  # YYYY-MM-DD, the commit date
    subject: str

    @property
    def short(self) -> str:
        return self.commit[:7]

    def described(self) -> str:
        what = f"renamed to `{self.new}`" if self.new else "deleted"
        return f"`{self.old}` was {what} in commit {self.short} ({self.date}, \"{self.subject}\")"


def _name(path: str) -> str:
    """The name a path is known by: its file name without suffix, or its folder's for SKILL.md/README.md/index."""
    parts = path.split("/")
    if len(parts) > 1 and parts[-1].lower() in _INDEX_NAMES:
        return parts[-2]
    return parts[-1].split(".", 1)[0]


class GitMoves:
    """Renames and deletions under a directory, newest first, keyed by the old path (relative to the directory)."""

    def __init__(self, events: list[Move]) -> None:
        self.by_path: dict[str, Move] = {}
        self.by_folder: dict[str, Move] = {}
        self.by_name: dict[str, list[Move]] = {}
        for move in events:  # newest first: the first event seen for a path is its fate
            if move.old in self.by_path:
                continue
            self.by_path[move.old] = move
            self.by_name.setdefault(_name(move.old), []).append(move)
            folder, tail = posixpath.dirname(move.old), posixpath.basename(move.old)
            new = move.new
            while folder:
                if folder not in self.by_folder:
                    new_folder = None
                    if new is not None and new.endswith("/" + tail):
                        new_folder = new[: -len(tail) - 1]
                    if new is None or new_folder:
                        self.by_folder[folder] = Move(folder, new_folder, move.commit, move.date, move.subject)
                tail = posixpath.basename(folder) + "/" + tail
                folder = posixpath.dirname(folder)

    @classmethod
    def read(cls, root: Path) -> GitMoves | None:
        """The history of the checkout `root` lies in (only its part under `root`), or None outside git."""
        try:
            out = subprocess.run(
                ["git", "-C", str(root), "log", "--relative", "--name-status", "-M", "--diff-filter=RD",
                 "--no-color", "--format=%x1e%H%x1f%cs%x1f%s"],
                capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if out.returncode != 0:
            return None
        events: list[Move] = []
        for block in out.stdout.split("\x1e"):
            head, _, body = block.partition("\n")
            fields = head.split("\x1f")
            if len(fields) != 3:
                continue
            commit, date, subject = fields
            for line in body.splitlines():
                status, *paths = line.split("\t")
                if status.startswith("R") and len(paths) == 2:
                    events.append(Move(paths[0], paths[1], commit, date, subject))
                elif status == "D" and len(paths) == 1:
                    events.append(Move(paths[0], None, commit, date, subject))
        return cls(events)

    def fate(self, path: str, exists: Callable[[str], bool] | None = None) -> Move | None:
        """What became of the file or folder `path`: renames are followed to the newest name, so `new` is where it
        is now (when `exists(new)` says so) or the move says it was deleted in the end."""
        path = path.strip("/")
        move = self.by_path.get(path) or self.by_folder.get(path)
        seen = {path}
        while move is not None and move.new is not None and move.new not in seen:
            if exists is not None and exists(move.new):
                break
            later = self.by_path.get(move.new) or self.by_folder.get(move.new)
            if later is None:
                break
            seen.add(move.new)
            move = Move(move.old, later.new, later.commit, later.date, later.subject)
        return move

    def fate_of_name(self, name: str) -> Move | None:
        """What became of the only file once known by `name` (an id); None when none or several were."""
        moves = self.by_name.get(name) or []
        return self.fate(moves[0].old) if len(moves) == 1 else None


__all__ = ["GitMoves", "Move"]
