"""`auditor init`: an auditor.toml written from what the directory itself does, each line with its evidence.

It reads the directory as an audit would (formats detected, files skipped), infers each kind's required fields and
sections from what `infer_share` of its entries carry, runs the rules offline once, and accepts every convention
the run found (auditor/checks/conventions.py) with the line that convention names. The result is a configuration
under which the directory's audit reports its real defects and none of its conventions."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.checks.inferred import shape_of, shapes
from auditor.checks.rules.structure._dates import dated_values
from auditor.config import CONFIG_NAME, Config, load_config
from auditor.models import Entry
from auditor.outfiles import write_output

# `[table] key = value`, the shape of every line a convention names.
_LINE = re.compile(r"^\[(?P<table>[^\]]+)\]\s+(?P<key>[\w-]+)\s*=\s*(?P<value>.+)$")


class InitError(Exception):
    """Init cannot write (a configuration is there already)."""


@dataclass
class Plan:
    """What init writes: top-level values and tables of keys, each value with the comment that says why."""

    top: dict[str, tuple[Any, str]] = field(default_factory=dict)
    tables: dict[str, dict[str, tuple[Any, str | list[str]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # comment lines at the top: what was read

    def put(self, table: str, key: str, value: Any, why: str | list[str]) -> None:
        self.tables.setdefault(table, {})[key] = (value, why)


def write_config(root: Path, as_of: dt.date, force: bool = False) -> Path:
    """Infer and write `<root>/auditor.toml`; refuses to replace one unless `force`. Returns the path written."""
    target = root / CONFIG_NAME
    if target.exists() and not force:
        raise InitError(f"{target}: a configuration is there already (--force replaces it)")
    config = load_config(root, Path(os.devnull))  # the defaults alone, whatever file is there now
    config.source = None
    plan = infer_plan(root, config, as_of)
    write_output(target, render(plan, config.name, as_of), "make the directory writable, or write the file by hand")
    return target


def infer_plan(root: Path, config: Config, as_of: dt.date) -> Plan:
    from auditor.pipeline import check_entries
    from auditor.sources.detect import source_for

    config.settings["offline"] = True
    plan = Plan()
    source = source_for(root, config)
    entries = source.load(config)
    formats = getattr(source, "formats", None) or []
    counts = getattr(source, "read_counts", {}) or {}
    if formats:
        plan.notes.append("formats detected: " + ", ".join(f"{name} ({counts.get(name, 0)} files)" for name in formats))
        plan.put("settings", "input_format", ",".join(formats), "the formats this directory's files are in")
    else:
        plan.notes.append(f"format: content folder (Markdown with front matter), {len(entries)} entries")
        plan.put("settings", "input_format", "folder", "Markdown files with front matter, one entry each")
    kinds = Counter(entry.kind or "(none)" for entry in entries)
    plan.notes.append("kinds: " + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()))
    skipped = list(getattr(source, "marked", []) or [])
    if skipped:
        plan.top["exclude"] = ([path for path, _ in skipped], "marked as copies: " + "; ".join(
            f"{path}: {reason}" for path, reason in skipped[:5]) + (" ..." if len(skipped) > 5 else ""))
    _dates_note(plan, entries)
    if not formats:  # required fields and sections apply to the content folder only (`format_rules_off`)
        _requirements(plan, config, entries)
    findings_conventions: list[dict[str, Any]] = []
    check_entries(entries, config, as_of, root=root, conventions=findings_conventions)
    for convention in findings_conventions:
        if convention.get("by_init", True):
            _accept(plan, convention)
        else:
            plan.notes.append(f"{convention['code']} `{convention['key']}` on {convention['entries']} of "
                              f"{convention['of']} entries is reported once, not accepted here; to accept it: "
                              f"{convention['accept']}")
    return plan


def _requirements(plan: Plan, config: Config, entries: list[Entry]) -> None:
    share = float(config.settings.get("infer_share", 0.8))
    for kind, shape in sorted(shapes([shape_of(entry) for entry in entries]).items()):
        if kind not in config.kinds:
            continue
        table = f"pack.kinds.kinds.{kind}"
        fields = shape.required_fields(share)
        plan.put(table, "required_fields", fields,
                 [f"{round(100 * shape.fields[name] / shape.entries)}% of {shape.entries} {kind} entries have "
                  f"`{name}`" for name in fields])
        sections = shape.required_sections(share)
        data = config.kind_data(kind)  # the run that finds the conventions holds entries to the same lists
        data["required_fields"], data["required_sections"] = fields, sections
        plan.put(table, "required_sections", sections,
                 [f"{round(100 * shape.sections[title.lower()] / shape.entries)}% of {shape.entries} {kind} "
                  f"entries have `## {title}`" for title in sections])


def _dates_note(plan: Plan, entries: list[Entry]) -> None:
    styles: dict[str, Counter[str]] = {}
    for entry in entries:
        for key, _value, fmt, _line in dated_values(entry):
            styles.setdefault(key, Counter())[fmt] += 1
    for key, counts in sorted(styles.items(), key=lambda item: -sum(item[1].values()))[:3]:
        fmt, count = counts.most_common(1)[0]
        plan.notes.append(f"dates: `{key}` written {fmt} in {count} of {sum(counts.values())} entries")


def _accept(plan: Plan, convention: dict[str, Any]) -> None:
    """Merge the line a convention names into the plan: `disable` lists add up, required lists narrow."""
    match = _LINE.match(str(convention["accept"]))
    if not match:
        return
    table, key = match["table"], match["key"]
    value = _toml_value(match["value"])
    about = f" `{convention['key']}`" if convention["key"] else ""
    why = (f"{convention['code']}{about} on {convention['entries']} of {convention['of']} entries: "
           "the directory's convention")
    current = plan.tables.get(table, {}).get(key)
    if key == "disable" and current is not None:
        items, reasons = list(current[0]), list(current[1]) if isinstance(current[1], list) else [current[1]]
        if value[0] not in items:
            items.append(value[0])
            reasons.append(why)
        plan.put(table, key, items, reasons)
    elif key == "disable":
        plan.put(table, key, list(value), [why])
    elif key.startswith("required_") and current is not None and isinstance(current[1], list):
        kept = [(item, note) for item, note in zip(current[0], current[1], strict=True) if item in value]
        plan.put(table, key, [item for item, _ in kept], [note for _, note in kept])
    else:
        plan.put(table, key, value, why)


def _toml_value(text: str) -> Any:
    import tomllib

    return tomllib.loads(f"v = {text}")["v"]


def render(plan: Plan, name: str, as_of: dt.date) -> str:
    lines = [f"# Written by `auditor init` on {as_of.isoformat()} from what this directory does. Every value says",
             "# what it rests on; change any of it, or delete a line to get the auditor's default back.",
             *(f"#   {note}" for note in plan.notes), "", f"name = {json.dumps(name)}"]
    for key, (value, why) in plan.top.items():
        lines += [f"# {why}", f"{key} = {json.dumps(value)}"]
    for table in sorted(plan.tables, key=lambda t: (t != "settings", t != "rules", t)):
        lines += ["", f"[{table}]"]
        for key, (value, why) in plan.tables[table].items():
            if isinstance(value, list) and isinstance(why, list):
                lines.append(f"{key} = [" if value else f"{key} = []  # no value is shared by enough entries")
                lines += [f"  {json.dumps(item)},  # {note}" for item, note in zip(value, why, strict=True)]
                if value:
                    lines.append("]")
            else:
                lines += [f"# {why}", f"{key} = {json.dumps(value)}"]
    return "\n".join(lines) + "\n"
