"""What XRF005-XRF007 share: reporting the references a source could not resolve."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import ClassVar

from auditor.checks.base import AuditContext, Rule
from auditor.checks.suggest import history_fix, moved, wanted_path
from auditor.models import Entry, Finding, Reference


class ReferenceRule(Rule):
    """Reports the entry's references of one kind that name nothing (the source resolved them while reading)."""
    depends_on = "files"

    ref_kind: ClassVar[str]
    noun: ClassVar[str]

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for ref in entry.refs:
            if ref.kind != self.ref_kind or ref.resolved is not None:
                continue
            where = f"`{ref.field}`" if ref.field and ref.field != "body" else "the text"
            yield self.finding(
                entry, f"{self.noun} `{ref.target}` in {where} names no file in the directory",
                line=ref.line, key=f"{ref.field}:{ref.target}", evidence=f"{ref.field or 'body'}: {ref.target}",
                fix=self.fix_for(entry, ref, ctx),
            )

    def fix_for(self, entry: Entry, ref: Reference, ctx: AuditContext) -> str:
        written_in = ref.path or entry.path
        candidates = [wanted_path(written_in, ref.target)]
        if ref.kind == "manifest":  # a manifest's paths may also be written from the directory's root
            candidates.append(posixpath.normpath(ref.target.split("#", 1)[0].lstrip("./")))
        removal = ("remove it from the manifest." if ref.kind == "manifest"
                   else f"remove it from `{ref.field}`." if ref.field and ref.field != "body" else "remove the link.")
        for path in candidates:
            move = moved(ctx, path)
            if move is not None:
                base = posixpath.dirname(written_in) if path == candidates[0] else ""
                return history_fix(move, ref.target, base, removal)
        if ref.suggestion:
            return f"Did you mean `{ref.suggestion}`? Replace `{ref.target}` with it."
        return f"Correct `{ref.target}` or remove it; nothing like it exists in the directory."
