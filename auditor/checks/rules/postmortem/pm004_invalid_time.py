from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at, parse_time
from auditor.models import Finding, Severity
from auditor.sources.postmortem import Key, PostmortemDoc


class InvalidTime(DocumentRule):
    code = "PM004"
    name = "postmortem.invalid-time"
    severity = Severity.error
    title = "A time in the post-mortem is not ISO 8601 with a time zone"
    what = (
        "Checks every time of the document — `incident.times.*`, `status_page_updates[].at` and "
        "`next_update_by`, `timeline[].at`, `postmortem.meeting_at` and `published_at` — is an ISO 8601 time "
        "with a zone (`2026-11-02T09:14:00Z`, `2026-11-02T10:14:00+01:00`)."
    )
    why = (
        "Windows are checked in minutes: a time without a zone is off by hours for half the readers, and the "
        "order and deadline checks cannot trust it."
    )
    example = "`detected_at: 2026-11-02 09:14` (no zone) or `declared_at: 9:20am`."
    fix = "Write the time as ISO 8601 with a zone, e.g. 2026-11-02T09:14:00Z."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        places: list[Key] = []
        times = doc.get("incident.times")
        if isinstance(times, dict):
            places += [("incident", "times", str(name)) for name in times]
        for path, _ in list_at(doc, "incident.status_page_updates"):
            places += [path + ("at",), path + ("next_update_by",)]
        for path, _ in list_at(doc, "incident.timeline"):
            places.append(path + ("at",))
        places += [("postmortem", "meeting_at"), ("postmortem", "published_at")]
        for place in places:
            value = doc.get(place)
            if value in (None, ""):
                continue
            moment, why = parse_time(value)
            if moment is None:
                dotted = ".".join(str(p) for p in place)
                yield self.at(doc, place, f"`{dotted}` is {why}: {value!r}")
