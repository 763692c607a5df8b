from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, fmt_time, list_at, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class TimelineOrder(DocumentRule):
    code = "PM006"
    name = "postmortem.timeline-order"
    severity = Severity.warning
    title = "The timeline is not in chronological order"
    what = "Reports a timeline entry whose `at` is earlier than the entry before it."
    why = "Readers reconstruct cause and effect from the order of the timeline; a shuffled one suggests the wrong story."
    example = "An entry at 09:40 listed after one at 09:55."
    fix = "Sort the timeline by time, or correct the time that is wrong."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        latest = None
        for path, _ in list_at(doc, "incident.timeline"):
            moment = time_at(doc, path + ("at",))
            if moment is None:
                continue
            if latest is not None and moment < latest:
                yield self.at(doc, path + ("at",), f"timeline entry {path[-1] + 1} at {fmt_time(moment)} comes after "
                                                   f"one at {fmt_time(latest)}")
            else:
                latest = moment
