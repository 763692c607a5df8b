from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at, parse_day
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class ActionItemOverdue(DocumentRule):
    code = "PM011"
    name = "postmortem.action-item-overdue"
    severity = Severity.warning
    title = "An open action item is past its due date: escalate it"
    what = (
        "Reports each action item whose `status` is not one of `postmortem.action_item_done` (done, closed, ...) "
        "and whose `due` date is before the audit date (`--as-of`), with how long it is overdue."
    )
    why = (
        "Incidents recur when their remediations stall. The Incident response entry says to escalate overdue "
        "items with a clear statement that they are overdue."
    )
    example = "`{id: AI-2, due: 2026-10-15, status: open}` audited on 2026-11-28."
    fix = "Escalate the item to its owner's lead with a new date, or close it with the reason."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        done = {str(s).lower() for s in ctx.schema.get("action_item_done", [])}
        for path, item in list_at(doc, "postmortem.action_items"):
            if not isinstance(item, dict) or str(item.get("status", "")).strip().lower() in done:
                continue
            due = parse_day(item.get("due"))
            if due is None or due >= ctx.as_of:
                continue
            days = (ctx.as_of - due).days
            yield self.at(doc, path + ("due",), f"action item {item.get('id') or path[-1] + 1} is still "
                                                f"{item.get('status') or 'open'} and {days} days past its due date "
                                                f"({due}): escalate it", key=str(item.get("id") or path[-1]),
                          fix=f"Escalate {item.get('id') or 'the item'} to {item.get('owner') or 'its owner'}'s lead "
                              "with a new date, or close it with the reason.")
