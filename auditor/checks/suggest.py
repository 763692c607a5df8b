"""The fix for a reference to something missing: what git says became of it, else a close-enough name, else none.

In a git checkout the rename history decides (auditor.sources.git_moves): a target that was moved is replaced by
its new path, one that was deleted is removed, naming the commit. Only without history does a name close enough
to be a typo (auditor.suggestions) stand as a "did you mean".
"""

from __future__ import annotations

import posixpath

from auditor.checks.base import AuditContext
from auditor.sources.git_moves import GitMoves, Move


def git_moves(ctx: AuditContext) -> GitMoves | None:
    """The run's rename and deletion history (read once per run), or None outside a git checkout."""
    if not hasattr(ctx, "_git_moves"):
        ctx._git_moves = GitMoves.read(ctx.root) if ctx.root is not None else None  # type: ignore[attr-defined]
    return ctx._git_moves  # type: ignore[attr-defined]


def _exists(ctx: AuditContext, path: str) -> bool:
    return path in ctx.by_path or (ctx.root is not None and (ctx.root / path).exists())


def moved(ctx: AuditContext, path: str) -> Move | None:
    """What became of the directory path `path` (`skills/hubspot/`), if git knows; a rename whose new path is
    gone too is not offered."""
    history = git_moves(ctx)
    if history is None or not path or path.startswith(".."):
        return None
    move = history.fate(path.strip("/"), exists=lambda p: _exists(ctx, p))
    if move is not None and move.new is not None and not _exists(ctx, move.new):
        return None
    return move


def moved_id(ctx: AuditContext, name: str) -> Move | None:
    """What became of the file once known by the id `name`, if git knows."""
    history = git_moves(ctx)
    if history is None:
        return None
    move = history.fate_of_name(name)
    if move is not None and move.new is not None and not _exists(ctx, move.new):
        return None
    return move


def history_fix(move: Move, target: str, base: str, removal: str) -> str:
    """The fix a move gives a reference written as `target` in a file under `base`."""
    if move.new is None:
        return f"{move.described()}: {removal}"
    new = posixpath.relpath(move.new, base or ".")
    if target.startswith("./") and not new.startswith("."):
        new = "./" + new
    if target.endswith("/") and not new.endswith("/"):
        new += "/"
    return f"Did you mean `{new}`? {move.described()}: replace `{target}` with `{new}`."


def wanted_path(written_in: str, target: str) -> str:
    """The directory path a relative reference written in file `written_in` names (fragment and query left out)."""
    path = target.split("#", 1)[0].split("?", 1)[0]
    if path.startswith("/"):
        return posixpath.normpath(path.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(written_in), path))


__all__ = ["git_moves", "history_fix", "moved", "moved_id", "wanted_path"]
