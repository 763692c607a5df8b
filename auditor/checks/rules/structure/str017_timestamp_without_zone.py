from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.structure._dates import NO_ZONE, dated_values
from auditor.models import Entry, Finding, Severity


class TimestampWithoutZone(Rule):
    code = "STR017"
    name = "structure.timestamp-without-zone"
    severity = Severity.info
    title = "A timestamp has a time of day but no time zone"
    what = (
        "Reports values in an entry's data written as a date with a time but without `Z` or an offset "
        "(`2026-04-05 00:09`, `2026-04-05T10:30`), top level or one level down. A date alone is fine."
    )
    why = (
        "A time without a zone means a different instant on every machine that reads it: sorted by recency or "
        "compared with `--as-of`, an entry written late in the day can land on the wrong date."
    )
    example = "`updated_at: 2026-04-05 00:09` in a YAML entry file."
    fix = "Add the zone (`2026-04-05T00:09:00Z`), or write the date alone (`2026-04-05`)."

    convention = '[rules] disable = ["STR017"]'

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for key, value, fmt, line in dated_values(entry):
            if fmt in NO_ZONE:
                yield self.finding(entry, f"`{key}` has a time but no time zone: {value}", line=line, key=key,
                                   evidence=f"{key}: {value}",
                                   fix=f"Write `{key}` with its zone, e.g. `{value.replace(' ', 'T')}:00Z`, "
                                       "or as the date alone.")
