from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, fmt_time, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class TimeOrder(DocumentRule):
    code = "PM005"
    name = "postmortem.time-order"
    severity = Severity.error
    title = "The incident's times are out of order"
    what = (
        "Checks impact started ≤ detected ≤ declared ≤ mitigated ≤ resolved (`postmortem.times_order` in "
        "`rules/incident.yml`) among the times the document gives, and reports each time earlier than the one "
        "before it."
    )
    why = "Detection and response durations are computed from these times; out of order, they are negative."
    example = "`detected_at: 2026-11-02T09:14:00Z` with `impact_started_at: 2026-11-02T09:30:00Z`."
    fix = "Correct the time that is wrong (often a zone offset or a swapped field)."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        order = [str(name) for name in ctx.schema.get("times_order", [])]
        previous = None
        for name in order:
            moment = time_at(doc, f"incident.times.{name}")
            if moment is None:
                continue
            if previous is not None and moment < previous[1]:
                yield self.at(doc, f"incident.times.{name}",
                              f"{name} ({fmt_time(moment)}) is before {previous[0]} ({fmt_time(previous[1])})",
                              fix=f"{name} must not be earlier than {previous[0]}: correct the one that is wrong.")
            else:
                previous = (name, moment)
