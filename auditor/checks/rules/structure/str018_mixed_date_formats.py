from collections import Counter
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.digests import dated_of
from auditor.checks.rules.structure._dates import dated_values
from auditor.models import Entry, Finding, Severity


class MixedDateFormats(Rule):
    code = "STR018"
    name = "structure.mixed-date-formats"
    severity = Severity.warning
    depends_on = "directory"
    title = "A date field is written in another format than the rest of the directory"
    what = (
        "For every date-like field of the entries' data (`updated`, `updated_at`, `lastUpdated`, "
        "`version_detail.release_date` ...), finds the format most entries write it in (`YYYY-MM-DD`, "
        "`YYYY-MM-DD hh:mm`, `YYYY-MM-DDThh:mm:ssZ`, `Month D, YYYY` ...) and reports the entries that write it "
        "another way. A field only one format is used for raises nothing."
    )
    why = (
        "Tools that read the directory parse one format; a value in another is read wrong (day and month "
        "swapped) or not at all, and sorting by date puts it in the wrong place."
    )
    example = "`updated_at: 2026/04/05` when 3,000 other entries write `updated_at: 2026-04-05 00:09`."
    fix = "Write the date in the directory's usual format."

    # Its findings read, of the other entries, only the usual format of each date field: they are kept while that
    # stays the same (auditor/checks/cache.py).
    neighbours = "date-styles"

    def basis(self, ctx: AuditContext) -> object:
        return sorted(self.usual_formats(ctx).items())

    def affected(self, ctx: AuditContext, changes: object) -> set[str] | None:
        return set()

    def prepare(self, ctx: AuditContext) -> None:
        self.usual = self.usual_formats(ctx)

    @staticmethod
    def usual_formats(ctx: AuditContext) -> dict[str, tuple[str, int]]:
        """Each date field's most used format (and by how many entries), for the fields written in several."""
        found = getattr(ctx, "_date_styles", None)
        if found is not None:
            return found
        # Counted by distinct style first (most entries share one), in the directory's order: ties go to the
        # format seen first. With `ctx.others` (check of a few files), the entries not read count by digest; in
        # an audit with digests, every entry whose file is unchanged since it was digested.
        digests = getattr(ctx, "digests", None)
        if ctx.others:
            styles = ctx.others.values("dated", dated_of)
        elif digests is not None and len(digests.table):
            column, row_of = digests.table.column("dated"), digests.table.row_of
            styles = (column[row] if (row := row_of.get(entry.path)) is not None else dated_of(entry)
                      for entry in ctx.entries)
        else:
            styles = map(dated_of, ctx.entries)
        counts: dict[str, Counter[str]] = {}
        for dated, entries in Counter(styles).items():
            for key, fmt in dated:
                counts.setdefault(key, Counter())[fmt] += entries
        found = {key: c.most_common(1)[0] for key, c in counts.items() if len(c) > 1}
        ctx._date_styles = found  # type: ignore[attr-defined]
        return found

    convention = '[rules] disable = ["STR018"]'

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for key, value, fmt, line in dated_values(entry):
            usual = self.usual.get(key)
            if usual is None or fmt == usual[0]:
                continue
            yield self.finding(
                entry, f"`{key}` is written `{fmt}` ({value}) where {usual[1]} entries write `{usual[0]}`",
                line=line, key=key, evidence=f"{key}: {value}", fix=f"Write `{key}` as `{usual[0]}`.")
