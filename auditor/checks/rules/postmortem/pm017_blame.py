from collections.abc import Iterable, Iterator
from typing import Any

from auditor.incidents import text as prose
from auditor.incidents.documents import DocumentRule, IncidentContext
from auditor.models import Finding, Severity
from auditor.sources.postmortem import Key, PostmortemDoc

# Keys whose values are names, codes or times, not prose.
NOT_PROSE = {"id", "at", "category", "status", "state", "owner", "incident_commander", "scribe", "liaison", "type",
             "priority", "due", "tracking", "severity", "next_update_by", "source", "scope"}


class BlamingLanguage(DocumentRule):
    code = "PM017"
    name = "postmortem.blame"
    severity = Severity.warning
    reason = "BLAME"
    title = "Blaming language in a post-mortem"
    what = (
        "Reports, in every prose field of the document (summary, detection, resolution, timeline, trigger, root "
        "causes, contributing factors, action items), the phrases of `blame.phrases` in `rules/incident.yml` "
        "(\"human error\", \"careless\", \"should have\", \"failed to\", ...) and a person named as the cause — a "
        "role word or a name from the document's roles and owners next to a causal verb (\"caused by Dana\", "
        "\"the on-call engineer forgot\") — each with a suggested rewording."
    )
    why = "A post-mortem that blames a person ends the analysis there, and the next person walks into the same trap."
    example = "`root_causes: [{category: software, description: Dana failed to check the migration}]`"
    fix = "Describe what the system allowed and which safeguard was missing, not what a person failed to do."

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        names = _people(doc)
        for path, text in _prose(doc.data, ()):
            for blame in prose.blame_in(text, ctx.pack, names):
                dotted = ".".join(map(str, path))
                yield self.at(doc, path, f"blaming language in `{dotted}`: \u201c{blame.phrase}\u201d", evidence=text,
                              key=f"{dotted}:{blame.phrase.lower()}",
                              fix=blame.rewording[0].upper() + blame.rewording[1:] + ".")


def _people(doc: PostmortemDoc) -> list[str]:
    names: set[str] = set()
    roles = doc.get("incident.roles")
    if isinstance(roles, dict):
        names.update(str(v) for v in roles.values() if isinstance(v, str))
    items = doc.get("postmortem.action_items")
    if isinstance(items, list):
        names.update(str(i["owner"]) for i in items if isinstance(i, dict) and isinstance(i.get("owner"), str))
    if isinstance(doc.get("postmortem.owner"), str):
        names.add(doc.get("postmortem.owner"))
    # A team handle ("payments-team") is not a person; a name's first word is how prose refers to them.
    people = set()
    for name in (n.strip() for n in names):
        if not name or "-" in name or "@" in name or name.islower():
            continue
        people.add(name)
        people.add(name.split()[0])
    return sorted(people)


def _prose(value: Any, path: Key) -> Iterator[tuple[Key, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key) in NOT_PROSE or str(key).endswith("_at"):
                continue
            yield from _prose(item, path + (str(key),))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _prose(item, path + (i,))
    elif isinstance(value, str):
        yield path, value
