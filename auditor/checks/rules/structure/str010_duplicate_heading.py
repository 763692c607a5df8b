from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Edit, Entry, Finding, Severity


class DuplicateHeading(Rule):
    code = "STR010"
    name = "structure.duplicate-heading"
    severity = Severity.warning
    depends_on = "entry"
    title = "The same heading appears twice in one entry"
    what = "Reports a `## ` heading whose text (ignoring case) already appeared earlier in the entry."
    why = "Repeated headings usually come from a bad merge or paste; readers see the same block twice or two halves of one."
    example = "Two `## Use cases` sections, one near the top and one near the bottom."
    fix = "Merge the two sections into one (`auditor fix` removes a twin that holds nothing)."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        seen: dict[str, int] = {}
        first: dict[str, int] = {}  # heading -> its index in entry.sections
        for index, section in enumerate(entry.sections):
            if section.level != 2:
                continue
            key = " ".join(section.title.lower().split())
            if key in seen:
                edit = _remove_empty(entry, index) or _remove_empty(entry, first[key])
                yield self.finding(
                    entry, f"heading `## {section.title}` already appears on line {seen[key]}",
                    line=section.line, key=key, evidence=f"## {section.title}",
                    fix=(f"Remove the empty `## {section.title}` (its twin holds the text)." if edit else
                         f"Merge this `## {section.title}` into the one on line {seen[key]}."), edit=edit,
                )
            else:
                seen[key], first[key] = section.line, index


def _remove_empty(entry: Entry, index: int) -> Edit | None:
    """Removing the section at `index` (its heading and blank lines), when it holds nothing: no text and no
    deeper heading under it; None otherwise (or when it is in a twin file)."""
    section = entry.sections[index]
    following = entry.sections[index + 1] if index + 1 < len(entry.sections) else None
    if section.text or (following is not None and following.level > section.level) or entry.twin_path:
        return None
    at = section.line - entry.body_start
    if not 0 <= at < len(entry.body_lines):
        return None
    return Edit(entry.path, section.line, entry.body_lines[at].rstrip("\r\n"), "", remove_lines=1 + len(section.body))
