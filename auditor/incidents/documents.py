"""The base of the PM rules and the run that validates post-mortem documents.

PM rules are rules like the others (codes, docs, `auditor rules explain`, `[rules]` in auditor.toml), but they
judge post-mortem documents, not entries: the entry audit calls their `check` and gets nothing, and
`auditor incident validate` calls their `check_document` for each document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from auditor.checks.base import AuditContext, Rule
from auditor.checks.engine import active_rules, fingerprint
from auditor.config import Config
from auditor.incidents.policy import Policy
from auditor.models import Entry, Finding
from auditor.sources.postmortem import Key, PostmortemDoc


@dataclass
class IncidentContext:
    """Everything a PM rule reads besides the document."""

    as_of: dt.date
    config: Config
    policy: Policy

    @property
    def pack(self) -> dict[str, Any]:
        return self.config.pack.get("incident", {}) or {}

    @property
    def schema(self) -> dict[str, Any]:
        return self.pack.get("postmortem", {}) or {}


class DocumentRule(Rule):
    """A rule over post-mortem documents; subclasses implement `check_document`."""

    depends_on = "entry"  # an entry is never a post-mortem: nothing to find in it

    reason = "POSTMORTEM"
    # Whether the rule also reads documents the loader could not read (only PM001 does).
    judges_unreadable: ClassVar[bool] = False

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        return ()  # entries are not post-mortems

    def check_document(self, doc: PostmortemDoc, ctx: IncidentContext) -> Iterable[Finding]:
        raise NotImplementedError

    def at(self, doc: PostmortemDoc, where: str | Key, message: str, *, evidence: str | None = None,
           fix: str = "", key: str = "") -> Finding:
        """A finding on the line of `where` (a dotted path into the document), quoting its value by default."""
        if evidence is None:
            value = doc.get(where)
            evidence = "" if value is None or isinstance(value, dict | list) else f"{_last(where)}: {value}"
        return self.finding(doc, message, line=doc.line_of(where), evidence=evidence, fix=fix,  # type: ignore[arg-type]
                            key=key or (where if isinstance(where, str) else ".".join(map(str, where))))


def _last(where: str | Key) -> str:
    parts = where.split(".") if isinstance(where, str) else [str(p) for p in where]
    return parts[-1]


def parse_time(value: Any) -> tuple[dt.datetime | None, str]:
    """An ISO 8601 time with a zone, or None and why not."""
    if value is None or value == "":
        return None, "missing"
    text = str(value).strip()
    if len(text) <= 10:
        return None, "a date without a time of day" if parse_day(text) else "not an ISO 8601 time"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None, "not an ISO 8601 time"
    if moment.tzinfo is None:
        return None, "without a time zone (add Z or an offset such as +02:00)"
    return moment, ""


def parse_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def time_at(doc: PostmortemDoc, where: str | Key) -> dt.datetime | None:
    return parse_time(doc.get(where))[0]


def list_at(doc: PostmortemDoc, where: str) -> list[tuple[Key, Any]]:
    """(path of the item, item) for each item of a list in the document; nothing when it is not a list."""
    value = doc.get(where)
    if not isinstance(value, list):
        return []
    base = tuple(int(p) if p.isdigit() else p for p in where.split("."))
    return [(base + (i,), item) for i, item in enumerate(value)]


def fmt_time(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def fmt_span(delta: dt.timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if abs(minutes) >= 120:
        return f"{minutes / 60:.1f} hours".replace(".0 hours", " hours")
    return f"{minutes:.0f} minutes"


def document_rules(config: Config) -> list[DocumentRule]:
    return [rule for rule in active_rules(config) if isinstance(rule, DocumentRule)]


def validate_documents(docs: list[PostmortemDoc], config: Config, as_of: dt.date, policy: Policy) -> list[Finding]:
    """Every PM finding for these documents, sorted by path and line."""
    ctx = IncidentContext(as_of=as_of, config=config, policy=policy)
    rules = document_rules(config)
    findings: list[Finding] = []
    for doc in docs:
        unreadable = bool(doc.problems)
        for rule in rules:
            if unreadable and not rule.judges_unreadable:
                continue
            for finding in rule.check_document(doc, ctx):
                finding.fingerprint = fingerprint(finding)
                findings.append(finding)
    findings.sort(key=lambda f: (f.path, f.line, f.code))
    return findings
