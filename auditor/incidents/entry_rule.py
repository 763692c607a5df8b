"""The base of the IR rules: which entries are incident-response entries, and their sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from auditor.checks.base import AuditContext, Rule
from auditor.incidents import text as prose
from auditor.models import Entry, Finding


def incident_pack(ctx: AuditContext) -> dict[str, Any]:
    return ctx.pack.get("incident", {}) or {}


def is_incident_entry(entry: Entry, pack: dict[str, Any]) -> bool:
    """Tagged with one of `entries.tags` and of one of `entries.kinds`, listed in `entries.ids`, or (with
    `entries.by_content`) defining a severity scale and an incident commander; never one in `entries.exclude`
    (all keys of the `incident` pack)."""
    exclude, ids, wanted, kinds = _selector(pack)
    if entry.id in exclude or entry.problems and not entry.meta:
        return False
    if entry.id in ids:
        return True
    tags = entry.meta.get("tags")
    if isinstance(tags, str):
        tags = [tags]
    if isinstance(tags, list) and wanted & {str(t).strip().lower() for t in tags}:
        if not kinds or entry.kind in kinds:
            return True
    if not (pack.get("entries", {}) or {}).get("by_content"):
        return False
    key = (entry.path, entry.content_hash)
    if not entry.content_hash:
        return _says_incident_response(entry, pack)
    if key not in _by_content:  # nine rules ask for every entry: read its text once
        _by_content[key] = _says_incident_response(entry, pack)
    return _by_content[key]


_by_content: dict[tuple[str, str], bool] = {}


def _says_incident_response(entry: Entry, pack: dict[str, Any]) -> bool:
    """The entry's title and body define a severity scale (`entries.scale_levels` distinct levels) and name an
    incident commander: it is an incident-response entry whatever it is tagged."""
    chosen = pack.get("entries", {}) or {}
    text = "\n".join([entry.title or "", *entry.body_lines])
    lowered = text.lower()
    if not any(str(name).lower() in lowered for name in (pack.get("roles", {}) or {}).get("commander", []) or []):
        return False
    pattern = _scale_pattern(str(chosen.get("scale_pattern") or r"(?!)"))
    levels = {" ".join(match.group(1).upper().replace("-", " ").split()) for match in pattern.finditer(text)}
    return len(levels) >= int(chosen.get("scale_levels", 2))


@lru_cache(maxsize=4)
def _scale_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


_selectors: dict[int, tuple[Any, tuple[frozenset[str], ...]]] = {}


def _selector(pack: dict[str, Any]) -> tuple[frozenset[str], ...]:
    """The pack's `entries` lists as sets, built once per pack: nine rules ask for every entry."""
    cached = _selectors.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    chosen = pack.get("entries", {}) or {}
    sets = (frozenset(str(x) for x in chosen.get("exclude", []) or []),
            frozenset(str(x) for x in chosen.get("ids", []) or []),
            frozenset(str(t).strip().lower() for t in chosen.get("tags", []) or []),
            frozenset(str(k) for k in chosen.get("kinds", []) or []))
    _selectors.clear()  # one pack per run; holding it keeps id(pack) from being reused by another object
    _by_content.clear()
    _selectors[id(pack)] = (pack, sets)
    return sets


class IncidentRule(Rule):
    """A rule over incident-response entries only; subclasses implement `check_incident`."""

    reason = "INCIDENT_PROCESS"
    depends_on = "entry"  # the entry and the incident pack

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        pack = incident_pack(ctx)
        if not is_incident_entry(entry, pack):
            return ()
        return self.check_incident(entry, prose.sentences(entry), pack, ctx)

    def check_incident(self, entry: Entry, items: list[prose.Sentence], pack: dict[str, Any],
                       ctx: AuditContext) -> Iterable[Finding]:
        raise NotImplementedError


def quote(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
