import datetime as dt
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.structure._dates import NO_ZONE, dated_values
from auditor.models import Edit, Entry, Finding, Severity


class TimestampWithoutZone(Rule):
    code = "STR017"
    name = "structure.timestamp-without-zone"
    severity = Severity.info
    depends_on = "entry"
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
    fix = ("Add the zone (`2026-04-05T00:09:00Z`), or write the date alone (`2026-04-05`). With the "
           "`timestamp_zone` setting, `auditor fix` adds that zone's offset.")

    convention = '[rules] disable = ["STR017"]'

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        zone = str(ctx.config.settings.get("timestamp_zone") or "")
        for key, value, fmt, line in dated_values(entry):
            if fmt in NO_ZONE:
                zoned = with_zone(value, zone) if zone else None
                if zoned is not None:
                    top = key.split(".", 1)[0]
                    nested = entry.meta.get(top)
                    span = len(nested) + 1 if "." in key and isinstance(nested, dict) else 1
                    yield self.finding(entry, f"`{key}` has a time but no time zone: {value}", line=line, key=key,
                                       evidence=f"{key}: {value}",
                                       fix=f"Write `{key}` with its zone: `{zoned}` (timestamp_zone {zone}).",
                                       edit=Edit(entry.path, line, value, zoned, span=span))
                    continue
                yield self.finding(entry, f"`{key}` has a time but no time zone: {value}", line=line, key=key,
                                   evidence=f"{key}: {value}",
                                   fix=f"Write `{key}` with its zone, e.g. `{value.replace(' ', 'T')}:00Z`, "
                                       "or as the date alone.")


def with_zone(value: str, zone: str) -> str | None:
    """`value` with the offset `zone` has at that date and time (`Z` for UTC), seconds added when missing; None when
    the zone is unknown or the local time is ambiguous (a clock change's repeated hour) or never happened (its
    skipped hour)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = value.strip().replace(" ", "T")
    try:
        local = dt.datetime.fromisoformat(text)
        tz = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    first, second = local.replace(tzinfo=tz), local.replace(tzinfo=tz, fold=1)
    offset = first.utcoffset()
    if offset != second.utcoffset() or offset is None:
        return None
    if first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != local:
        return None
    if len(text) == len("YYYY-MM-DDThh:mm"):
        text += ":00"
    if not offset and zone.upper() in ("UTC", "ETC/UTC", "Z"):
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
