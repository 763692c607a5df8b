"""What XRF005-XRF007 share: reporting the references a source could not resolve."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding


class ReferenceRule(Rule):
    """Reports the entry's references of one kind that name nothing (the source resolved them while reading)."""

    ref_kind: ClassVar[str]
    noun: ClassVar[str]

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for ref in entry.refs:
            if ref.kind != self.ref_kind or ref.resolved is not None:
                continue
            where = f"`{ref.field}`" if ref.field and ref.field != "body" else "the text"
            fix = (f"Did you mean `{ref.suggestion}`? Replace `{ref.target}` with it." if ref.suggestion
                   else f"Correct `{ref.target}` or remove it; nothing like it exists in the directory.")
            yield self.finding(
                entry, f"{self.noun} `{ref.target}` in {where} names no file in the directory",
                line=ref.line, key=f"{ref.field}:{ref.target}", evidence=f"{ref.field or 'body'}: {ref.target}",
                fix=fix,
            )
