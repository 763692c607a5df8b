"""`auditor incident stats DIR`: the trigger and root-cause mix of a folder of post-mortems next to the shares
the SRE Workbook's Appendix C publishes, as rows for a table and as an HTML page with a bar chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.config import Config
from auditor.sources.postmortem import PostmortemDoc, iter_documents, load_document

GROUPS = {"triggers": "outage triggers", "root_causes": "root-cause categories"}


@dataclass
class Row:
    category: str
    count: int
    share: float | None  # percent of the classified post-mortems
    reference: float | None  # Appendix C percent, None when it gives none

    @property
    def difference(self) -> float | None:
        if self.share is None or self.reference is None:
            return None
        return self.share - self.reference


@dataclass
class Mix:
    name: str  # triggers | root_causes
    title: str
    rows: list[Row]
    classified: int  # post-mortems that name at least one category of this kind


@dataclass
class Stats:
    folder: str
    documents: int
    unreadable: list[str]
    mixes: list[Mix]
    source: str  # where the reference shares came from
    source_url: str = ""
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> category off the taxonomy -> count


def reference_shares(config: Config) -> tuple[dict[str, dict[str, float | None]], str, str]:
    """{triggers: {category: percent}, root_causes: {...}} from the facts registry when it has the figures,
    else from `taxonomy` in rules/incident.yml; and a description of the source."""
    taxonomy = config.pack.get("incident", {}).get("taxonomy", {})
    fallback = {kind: {str(k): (float(v) if v is not None else None) for k, v in (taxonomy.get(kind) or {}).items()}
                for kind in GROUPS}
    facts = config.pack.get("facts", {}).get(str(taxonomy.get("facts", "")), {})
    if not isinstance(facts, dict) or not facts.get("groups"):
        return fallback, "rules/incident.yml (taxonomy)", ""
    shares: dict[str, dict[str, float | None]] = {}
    for kind, group_name in GROUPS.items():
        group = next((g for g in facts["groups"] if str(g.get("name")) == group_name), None)
        figures = {str(f["label"]).replace(" ", "_").replace("-", "_"): float(f["value"])
                   for f in (group or {}).get("figures", [])}
        shares[kind] = {category: figures.get(category, value if not figures else None)
                        for category, value in fallback[kind].items()}
    where = f"rules/facts/{taxonomy.get('facts')}.yml ({facts.get('source', 'facts registry')})"
    return shares, where, str(facts.get("url", ""))


def _categories(doc: PostmortemDoc, kind: str) -> list[str]:
    if kind == "triggers":
        value = doc.get("postmortem.trigger.category")
        return [str(value)] if value not in (None, "") else []
    causes = doc.get("postmortem.root_causes")
    found = []
    if isinstance(causes, list):
        for item in causes:
            if isinstance(item, dict) and item.get("category") not in (None, ""):
                found.append(str(item["category"]))
    return list(dict.fromkeys(found))


def collect(folder: Path, config: Config) -> Stats:
    docs = [load_document(path, str(path), root) for path, root in iter_documents([folder])]
    readable = [doc for doc in docs if not doc.problems]
    shares, source, url = reference_shares(config)
    mixes, unknown = [], {}
    for kind, title in (("triggers", "Triggers"), ("root_causes", "Root causes")):
        counts: dict[str, int] = {}
        classified = 0
        for doc in readable:
            names = _categories(doc, kind)
            if names:
                classified += 1
            for name in names:
                counts[name] = counts.get(name, 0) + 1
        known = shares[kind]
        rows = [Row(category, counts.get(category, 0),
                    100 * counts.get(category, 0) / classified if classified else None, reference)
                for category, reference in known.items()]
        off = {name: n for name, n in counts.items() if name not in known}
        if off:
            unknown[kind] = off
        mixes.append(Mix(kind, title, rows, classified))
    return Stats(str(folder), len(docs), [doc.path for doc in docs if doc.problems], mixes, source, url, unknown)


def as_dict(stats: Stats) -> dict[str, Any]:
    return {
        "folder": stats.folder, "documents": stats.documents, "unreadable": stats.unreadable,
        "reference": {"source": stats.source, "url": stats.source_url},
        "unknown_categories": stats.unknown,
        **{mix.name: {"classified": mix.classified, "rows": [
            {"category": r.category, "count": r.count,
             "share": None if r.share is None else round(r.share, 1),
             "appendix_c": r.reference,
             "difference": None if r.difference is None else round(r.difference, 1)} for r in mix.rows]}
           for mix in stats.mixes},
    }


def render_html(stats: Stats, as_of: dt.date) -> str:
    from auditor import __version__
    from auditor.report import environment  # the report's Jinja setup: autoescape, the `code` filter

    return environment().get_template("incidents.html.j2").render(stats=stats, as_of=as_of, version=__version__)
