import datetime as dt
from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext, fmt_span, fmt_time, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class MeetingLate(DocumentRule):
    code = "PM009"
    name = "postmortem.meeting-late"
    severity = Severity.warning
    title = "The post-mortem meeting was held later than the policy allows, or not yet when it is overdue"
    what = (
        "Compares `postmortem.meeting_at` with `incident.times.resolved_at`: the meeting must come within the "
        "policy's post-mortem window (the Incident response entry's \"within 48 hours\", else "
        "`policy.postmortem_hours`). A resolved incident with no meeting recorded is reported once the window "
        "has passed on the audit date (`--as-of`)."
    )
    why = "Memories and logs fade within days; a late post-mortem reconstructs the incident from guesses."
    example = "Resolved 2026-11-02T11:00Z, meeting 2026-11-06T15:00Z, with a 48-hour window."
    fix = "Hold the meeting within the window; record it in `postmortem.meeting_at`."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        resolved = time_at(doc, "incident.times.resolved_at")
        if resolved is None:
            return
        window = dt.timedelta(hours=ctx.policy.postmortem_hours)
        source = ctx.policy.sources.get("postmortem_hours", "")
        said = prose.describe_minutes(ctx.policy.postmortem_hours * 60) + (f" (policy from {source})" if source else "")
        meeting = time_at(doc, "postmortem.meeting_at")
        if meeting is not None:
            if meeting - resolved > window:
                yield self.at(doc, "postmortem.meeting_at", f"the post-mortem meeting came {fmt_span(meeting - resolved)}"
                                                            f" after resolution; the policy allows {said}", key="late")
            return
        if doc.get("postmortem.meeting_at") not in (None, ""):
            return  # an unreadable time is PM004's
        deadline = resolved + window
        if deadline.date() < ctx.as_of:
            yield self.at(doc, "postmortem" if doc.get("postmortem") is not None else "incident.times.resolved_at",
                          f"no post-mortem meeting is recorded, and the window ({said}) ended {fmt_time(deadline)}",
                          evidence="", key="missing")
