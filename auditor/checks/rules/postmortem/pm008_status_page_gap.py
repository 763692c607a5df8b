import datetime as dt
from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext, fmt_span, fmt_time, list_at, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class StatusPageGap(DocumentRule):
    code = "PM008"
    name = "postmortem.status-page-gap"
    severity = Severity.warning
    title = "A status-page update came later than the previous one promised"
    what = (
        "Walks `incident.status_page_updates` in time order: each update is due by the previous update's "
        "`next_update_by`, or, when it names none, within the policy's cadence (the entry's \"updates every N "
        "minutes\", else `policy.update_cadence_minutes`). The same applies from the last update to "
        "`resolved_at`."
    )
    why = "A promised update that does not come reads as a service that is getting worse."
    example = "An update at 09:30 saying `next_update_by: 10:00Z`, and the next one at 10:40."
    fix = "Post by the promised time (an update with no news is still an update), or promise a later time."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        cadence = dt.timedelta(minutes=ctx.policy.update_cadence_minutes)
        updates = []
        for path, _ in list_at(doc, "incident.status_page_updates"):
            moment = time_at(doc, path + ("at",))
            if moment is not None:
                updates.append((moment, path, time_at(doc, path + ("next_update_by",))))
        updates.sort(key=lambda item: item[0])
        for (moment, _path, promised), (later, later_path, _) in zip(updates, updates[1:], strict=False):
            due = promised or moment + cadence
            if later > due:
                yield self.at(doc, later_path + ("at",), self._message(moment, later, promised, due, ctx),
                              key=f"gap:{fmt_time(moment)}")
        resolved = time_at(doc, "incident.times.resolved_at")
        if updates and resolved is not None:
            moment, _path, promised = updates[-1]
            due = promised or moment + cadence
            if moment < resolved and resolved > due:
                yield self.at(doc, "incident.times.resolved_at",
                              f"no status-page update between {fmt_time(moment)} and the resolution at "
                              f"{fmt_time(resolved)} ({fmt_span(resolved - moment)}); the next was due by "
                              f"{fmt_time(due)}", key="gap:resolution")

    @staticmethod
    def _message(moment: dt.datetime, later: dt.datetime, promised: dt.datetime | None, due: dt.datetime,
                 ctx: IncidentContext) -> str:
        why = (f"the update at {fmt_time(moment)} promised the next by {fmt_time(promised)}" if promised else
               f"the cadence is {prose.describe_minutes(ctx.policy.update_cadence_minutes)}")
        return f"{fmt_span(later - moment)} passed between status-page updates ({fmt_time(moment)} to " \
               f"{fmt_time(later)}); {why}"
