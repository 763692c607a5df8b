from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity

_CHECKS = {
    "text": (lambda v: isinstance(v, str | int | float), "text"),
    "list": (lambda v: isinstance(v, list | str), "a list such as [a, b]"),
    "mapping": (lambda v: isinstance(v, dict), "a mapping such as {key: value}"),
}


class InvalidFieldType(Rule):
    code = "STR007"
    name = "structure.invalid-field-type"
    severity = Severity.error
    depends_on = "entry"
    title = "A front-matter field has a value of the wrong type"
    what = "Checks front-matter values against `field_types` in `rules/kinds.yml` (text, list or mapping)."
    why = "A `related` that is a mapping or `links` that is a list is silently ignored by every page that reads it."
    example = "`links: https://example.com/docs` where a mapping `{docs: https://...}` is expected."
    fix = "Give the field the expected shape."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        types = ctx.pack.get("kinds", {}).get("field_types", {})
        for field, type_name in types.items():
            if field not in entry.meta or entry.meta[field] is None or type_name not in _CHECKS:
                continue
            accepts, expected = _CHECKS[type_name]
            value = entry.meta[field]
            if not accepts(value):
                yield self.finding(
                    entry, f"`{field}` should be {expected}, got {type(value).__name__}",
                    line=entry.line_of(field), key=field, evidence=f"{field}: {value!r}"[:200],
                    fix=f"Rewrite `{field}` as {expected}.",
                )
            elif field == "related" and isinstance(value, list):
                for item in value:
                    if not isinstance(item, str | int):
                        yield self.finding(
                            entry, f"`related` holds {type(item).__name__} {item!r} where an entry id is expected",
                            line=entry.line_of(field), key=f"related:{item!r}", evidence=repr(item)[:200],
                            fix="List entry ids only, e.g. `related: [incident-response]`.",
                        )
