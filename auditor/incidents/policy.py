"""The incident process post-mortems are held to: severity scale, status-page window and cadence, post-mortem
window. It comes from the directory's Incident response entry when there is one (its text is read), and from
the `policy` keys of `rules/incident.yml` (overridable in auditor.toml) for whatever the entry does not say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.incidents import text as prose
from auditor.models import Entry


@dataclass
class Level:
    name: str
    impact: str
    scope: str
    words: list[str] = field(default_factory=list)


@dataclass
class Policy:
    levels: list[Level]
    status_page_minutes: float
    update_cadence_minutes: float
    postmortem_hours: float
    postmortem_required_for: list[str]
    # Where each value came from: "rules/incident.yml" / "auditor.toml", or "skills/incident-response.md:20".
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def level_names(self) -> list[str]:
        return [level.name for level in self.levels]

    def level(self, name: str) -> Level | None:
        return next((level for level in self.levels if level.name == name), None)

    def describe(self) -> str:
        names = self.level_names
        scale = f"{names[0]}–{names[-1]}" if len(names) > 1 else ", ".join(names)
        return (f"severity {scale}, first status-page update within {prose.describe_minutes(self.status_page_minutes)}"
                f" of declaration (then at least every {prose.describe_minutes(self.update_cadence_minutes)}), "
                f"post-mortem meeting within {prose.describe_minutes(self.postmortem_hours * 60)} of resolution")


def policy_from_pack(pack: dict[str, Any]) -> Policy:
    data = pack.get("incident", {}).get("policy", {})
    levels = [Level(str(item["name"]), str(item.get("impact", "")), str(item.get("scope", "")),
                    [str(w) for w in item.get("words", [])]) for item in data.get("levels", [])]
    origin = "configuration (rules/incident.yml, auditor.toml)"
    return Policy(
        levels=levels,
        status_page_minutes=float(data.get("status_page_minutes", 15)),
        update_cadence_minutes=float(data.get("update_cadence_minutes", 60)),
        postmortem_hours=float(data.get("postmortem_hours", 48)),
        postmortem_required_for=[str(x) for x in data.get("postmortem_required_for", [])],
        sources={key: origin for key in ("levels", "status_page_minutes", "update_cadence_minutes",
                                          "postmortem_hours")},
    )


def policy_entry(entries: list[Entry], pack: dict[str, Any]) -> Entry | None:
    wanted = pack.get("incident", {}).get("policy", {}).get("entry")
    if not wanted:
        return None
    return next((entry for entry in entries if entry.id == str(wanted) and not entry.problems), None)


def policy_from_entry(entry: Entry, pack: dict[str, Any]) -> Policy:
    """The configured policy with what the entry's text says laid over it: the levels it defines (in its
    order, with its wording as the impact), its first status-page deadline and cadence, its first
    post-mortem window."""
    policy = policy_from_pack(pack)
    incident = pack.get("incident", {})
    items = prose.sentences(entry)
    where = entry.path
    definitions = prose.level_definitions(items, policy.level_names)
    if definitions:
        seen: list[Level] = []
        for definition in definitions:
            if any(level.name == definition.level for level in seen):
                continue
            configured = policy.level(definition.level)
            seen.append(Level(definition.level, definition.definition,
                              configured.scope if configured else definition.level.lower(),
                              configured.words if configured else []))
        order = {name: i for i, name in enumerate(policy.level_names)}
        policy.levels = sorted(seen, key=lambda level: order.get(level.name, len(order)))
        policy.sources["levels"] = f"{where}:{definitions[0].line}"
    topics = {key: list(words) for key, words in incident.get("timing", {}).items()}
    found = prose.deadlines(items, topics)
    status = next((d for d in found if d.topic == "status_page"), None)
    if status:
        policy.status_page_minutes = status.minutes
        policy.sources["status_page_minutes"] = f"{where}:{status.line}"
    window = next((d for d in found if d.topic == "postmortem"), None)
    if window:
        policy.postmortem_hours = window.minutes / 60
        policy.sources["postmortem_hours"] = f"{where}:{window.line}"
    cadence = prose.cadence_minutes(items, topics.get("status_page", []))
    if cadence:
        policy.update_cadence_minutes = cadence
        line = next(i.line for i in items if prose.CADENCE.search(i.text))
        policy.sources["update_cadence_minutes"] = f"{where}:{line}"
    return policy


def resolve_policy(pack: dict[str, Any], entries: list[Entry] | None = None) -> tuple[Policy, Entry | None]:
    """The policy for validating post-mortems, and the entry it was read from (None: configuration only)."""
    entry = policy_entry(entries or [], pack)
    if entry is None:
        return policy_from_pack(pack), None
    return policy_from_entry(entry, pack), entry
