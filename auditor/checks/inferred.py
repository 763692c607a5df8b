"""Infer, don't impose: the front-matter fields and body sections a directory's entries of each kind actually
carry. A directory with no auditor.toml is held to what most of its own entries do (`infer_share` of them) where
`rules/kinds.yml` fits it badly; `auditor init` writes the same inference down, with its evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from auditor.config import Config
from auditor.models import Entry


@dataclass
class KindShape:
    """What the entries of one kind carry: field and section -> how many entries have it (non-empty)."""

    kind: str
    entries: int
    fields: Counter[str] = field(default_factory=Counter)
    sections: Counter[str] = field(default_factory=Counter)
    spelling: dict[str, str] = field(default_factory=dict)  # section key (lower case) -> its usual spelling
    position: dict[str, float] = field(default_factory=dict)  # section key -> mean index among the entry's ##

    def required_fields(self, share: float) -> list[str]:
        return [name for name, count in self.fields.most_common() if count >= share * self.entries]

    def required_sections(self, share: float) -> list[str]:
        keys = [key for key, count in self.sections.items() if count >= share * self.entries]
        return [self.spelling[key] for key in sorted(keys, key=lambda k: self.position[k])]


class Shape(NamedTuple):
    """What inference counts of one entry: kept between runs in its digest (auditor/checks/digests.py)."""

    kind: str | None
    counted: bool  # readable, with front matter: its fields and sections count towards its kind's shape
    fields: tuple[str, ...]  # front-matter keys with a value
    titles: tuple[str, ...]  # `## ` section titles, stripped, in order


def shape_of(entry: Entry) -> Shape:
    counted = bool(entry.kind) and not any(p.kind in ("empty", "unreadable", "front-matter") for p in entry.problems)
    fields = tuple(key for key, value in entry.meta.items()
                   if value is not None and not (isinstance(value, str | list | dict) and not value))
    return Shape(entry.kind, counted, fields, tuple(s.title.strip() for s in entry.sections if s.level == 2))


def shapes(records: list[Shape]) -> dict[str, KindShape]:
    """Per kind, the fields and `## ` sections its readable entries carry."""
    found: dict[str, KindShape] = {}
    spellings: dict[str, dict[str, Counter[str]]] = {}
    positions: dict[str, dict[str, list[int]]] = {}
    for record in records:
        if not record.counted or not record.kind:
            continue
        shape = found.setdefault(record.kind, KindShape(record.kind, 0))
        shape.entries += 1
        shape.fields.update(record.fields)
        seen: set[str] = set()
        for index, title in enumerate(record.titles):
            key = title.lower()
            if key in seen:
                continue
            seen.add(key)
            shape.sections[key] += 1
            spellings.setdefault(record.kind, {}).setdefault(key, Counter())[title] += 1
            positions.setdefault(record.kind, {}).setdefault(key, []).append(index)
    for kind, shape in found.items():
        shape.spelling = {key: counts.most_common(1)[0][0] for key, counts in spellings.get(kind, {}).items()}
        shape.position = {key: sum(p) / len(p) for key, p in positions.get(kind, {}).items()}
    return found


def _meets(record: Shape, fields: list[str], sections: list[str]) -> bool:
    present = {title.lower() for title in record.titles}
    return all(name in record.fields for name in fields) and all(title.lower() in present for title in sections)


def infer_into(config: Config, entries: list[Entry],
               every: list[Shape] | None = None) -> dict[str, dict[str, list[str]]]:
    """For a directory without auditor.toml: each kind whose entries mostly fail `rules/kinds.yml` (fewer than half
    carry its required fields and sections) and that has at least `convention_min_entries` entries is held to
    what `infer_share` of its own entries carry instead. Changes `config.pack`; returns what it replaced.
    `every`: the shapes of the whole directory in order, when `entries` are only a few of them (`check` of a few
    files: the shapes of the rest come from their digests)."""
    settings = config.settings
    if config.source is not None or not settings.get("infer_requirements", True):
        return {}
    share = float(settings.get("infer_share", 0.8))
    least = int(settings.get("convention_min_entries", 20))
    replaced: dict[str, dict[str, list[str]]] = {}
    records = [shape_of(entry) for entry in entries] if every is None else every
    for kind, shape in shapes(records).items():
        data = config.kind_data(kind)
        if shape.entries < least or not data:
            continue
        fields, sections = list(data.get("required_fields", [])), list(data.get("required_sections", []))
        meeting = sum(1 for r in records if r.kind == kind and _meets(r, fields, sections))
        if meeting >= 0.5 * shape.entries:
            continue  # a directory shaped like ours: kinds.yml stands
        data["required_fields"] = shape.required_fields(share)
        data["required_sections"] = shape.required_sections(share)
        replaced[kind] = {"required_fields": data["required_fields"], "required_sections": data["required_sections"]}
    config.inferred = replaced
    return replaced
