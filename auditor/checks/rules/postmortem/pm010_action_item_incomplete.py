from collections.abc import Iterable

from auditor.incidents.documents import DocumentRule, IncidentContext, list_at, parse_day, time_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class ActionItemIncomplete(DocumentRule):
    code = "PM010"
    name = "postmortem.action-item-incomplete"
    severity = Severity.error
    title = "An action item lacks an owner, a due date after the incident, a type or a priority"
    what = (
        "Checks each of `postmortem.action_items`: it has a description, an `owner`, a `due` date (YYYY-MM-DD) no "
        "earlier than the incident (its resolution, else its declaration), a `type` from "
        "`postmortem.action_item_types` (investigate, mitigate, repair, detect, prevent, process) and a "
        "`priority` from `postmortem.action_item_priorities`."
    )
    why = "An action item without an owner and a date is a wish; without a type nobody can tell whether the " \
          "incident can recur."
    example = "`- {id: AI-3, description: Add a canary stage to the deploy pipeline, type: prevent}` (no owner, " \
              "due date or priority)."
    fix = "Give the item an owner, a due date after the incident, a type and a priority."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        schema = ctx.schema
        types = [str(t) for t in schema.get("action_item_types", [])]
        priorities = [str(p) for p in schema.get("action_item_priorities", [])] + ctx.policy.level_names
        end = time_at(doc, "incident.times.resolved_at") or time_at(doc, "incident.times.declared_at")
        for path, item in list_at(doc, "postmortem.action_items"):
            label = f"action item {path[-1] + 1}"
            if not isinstance(item, dict):
                yield self.at(doc, path, f"{label} is not a mapping with description, owner, due, type and priority",
                              key=f"{path[-1]}:shape")
                continue
            name = f"action item {item.get('id') or path[-1] + 1}"
            problems = [f"no {label}" for name, label in (("description", "description"), ("owner", "owner"),
                                                          ("due", "due date"), ("type", "type"),
                                                          ("priority", "priority"))
                        if item.get(name) in (None, "")]
            if item.get("type") not in (None, "") and str(item["type"]) not in types:
                problems.append(f"type {item['type']!r} is not one of {', '.join(types)}")
            if item.get("priority") not in (None, "") and str(item["priority"]) not in priorities:
                problems.append(f"priority {item['priority']!r} is not one of {', '.join(dict.fromkeys(priorities))}")
            if item.get("due") not in (None, ""):
                due = parse_day(item["due"])
                if due is None:
                    problems.append(f"due {item['due']!r} is not a date (YYYY-MM-DD)")
                elif end is not None and due < end.date():
                    problems.append(f"due {due} is before the incident ended ({end.date()})")
            if problems:
                where = path + ("due",) if any(p.startswith("due") for p in problems) and "due" in item else path
                yield self.at(doc, where, f"{name}: {'; '.join(problems)}", key=f"{item.get('id') or path[-1]}",
                              evidence=str(item.get("description") or ""))
