import re
from collections.abc import Iterable

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext, list_at
from auditor.models import Finding, Severity
from auditor.sources.postmortem import PostmortemDoc


class VagueActionItem(DocumentRule):
    code = "PM012"
    name = "postmortem.vague-action-item"
    severity = Severity.warning
    title = "A vague action item (\"improve\", \"be more careful\")"
    what = (
        "Reports an action item whose description starts with a word from `postmortem.vague_starts` (improve, "
        "enhance, review, look into, ...) or holds a phrase from `postmortem.vague_phrases` (be more careful, "
        "pay more attention, where possible, ...)."
    )
    why = "Nobody can tell when \"improve monitoring\" is done, so it is never done, and the incident recurs."
    example = "`description: Improve monitoring of the payments service`"
    fix = "Name the concrete change and how to tell it is done: \"Alert when payment errors exceed 1% for 5 minutes\"."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        schema = ctx.schema
        starts = re.compile(rf"^\s*(?:{prose.phrase_pattern([str(w) for w in schema.get('vague_starts', [])])})(?!\w)",
                            re.IGNORECASE)
        phrases = prose.word_regex([str(w) for w in schema.get("vague_phrases", [])])
        for path, item in list_at(doc, "postmortem.action_items"):
            if not isinstance(item, dict) or not isinstance(item.get("description"), str):
                continue
            text = item["description"]
            match = starts.search(text) or phrases.search(text)
            if match:
                yield self.at(doc, path + ("description",), f"action item {item.get('id') or path[-1] + 1} is vague: "
                                                            f"\u201c{match.group(0).strip()}\u201d",
                              evidence=text, key=str(item.get("id") or path[-1]))
