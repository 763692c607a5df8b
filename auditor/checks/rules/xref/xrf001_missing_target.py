from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.suggest import moved_id
from auditor.fixes import plain_value
from auditor.models import Edit, Entry, Finding, Severity


class MissingTarget(Rule):
    code = "XRF001"
    name = "xref.missing-target"
    severity = Severity.error
    depends_on = "ids"
    reason = "XREF_BROKEN"
    title = "A related id names no entry"
    what = (
        "Reports ids in `related` that match no entry in the directory. In a git checkout the history names what "
        "became of the id's file (renamed: its new id; deleted: the commit); otherwise the fix suggests an existing "
        "id only when it is close enough to be a typo (rules/suggestions.yml)."
    )
    why = "The Related block renders a dead link or silently drops the item; either way readers lose the pointer."
    example = "`related: [systematic-debuging]` when the entry is `systematic-debugging`."
    fix = "Correct the id (the finding suggests one when git knows the rename or a typo is clear) or remove it."

    def prepare(self, ctx: AuditContext) -> None:
        ctx.id_index()  # built once here, before the check workers fork, so they share it

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for target in entry.related:
            if target in ctx.by_id or target == entry.id:
                continue
            move = moved_id(ctx, target)
            # Never suggest the entry itself: that would turn the typo into a self-reference.
            match = ctx.closest_id(target, besides=entry.id) if move is None else None
            if move is not None:
                new_entry = ctx.by_path.get(move.new) if move.new else None
                new_id = new_entry.id if new_entry is not None else None
                fix = (f"Did you mean `{new_id}`? {move.described()}: replace `{target}` with `{new_id}` in "
                       "`related`." if new_id
                       else f"{move.described()}: remove `{target}` from `related`.")
            elif match:
                fix = f"Did you mean `{match}`? Replace `{target}` with `{match}` in `related`."
            else:
                fix = f"Remove `{target}` from `related`, or create that entry."
            meant = match or (new_id if move is not None else None)
            yield self.finding(
                entry, f"related id `{target}` does not exist", line=entry.line_of("related"),
                key=target, evidence=f"related: {target}", fix=fix, edit=_edit(entry, target, meant),
            )


def _edit(entry: Entry, target: str, meant: str | None) -> Edit | None:
    """The id replaced in `related` as written (a flow list, or a block list under the key), when the id meant is
    certain: git's rename, or the one close match."""
    if not meant or "related" not in entry.field_lines or not plain_value(meant) or not plain_value(target):
        return None
    return Edit(entry.path, entry.line_of("related"), target, meant, span=len(entry.related) + 1)
