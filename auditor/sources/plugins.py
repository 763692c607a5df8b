"""Plugin manifests: `<plugin>/plugin.json` listing the agents, skills, commands, hooks and extensions a plugin
bundles, by path (`"agents": ["./agents/reviewer.md"]`, top level or under `extensions.<vendor>`). One manifest is
one entry, its id `plugins/<folder>`; a README.md next to it is its body. Every listed path is a manifest
reference (XRF006), resolved against the plugin's folder, then the directory root, then the folder's file suffix
(`reference_suffixes`: `agents/reviewer.md` is `agents/reviewer.agent.md`).
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from auditor.models import TWIN_LINE_BASE, Entry, LoadProblem, Reference
from auditor.sources.formats import FormatContext, Resolver, apply_field_map, link_refs
from auditor.sources.markdown import set_body
from auditor.sources.registry_json import Lines, parse_problem

FORMAT = "plugins"
MANIFEST = "plugin.json"
GROUPS = ("agents", "skills", "commands", "hooks", "instructions", "prompts", "extensions", "mcpServers",
          "lspServers", "outputStyles")


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    return [rel for rel in files if rel.endswith(MANIFEST) and posixpath.basename(rel) == MANIFEST]


def twins(files: list[str], manifests: list[str]) -> set[str]:
    wanted = {posixpath.join(posixpath.dirname(rel), "README.md") for rel in manifests}
    return {rel for rel in files if rel in wanted}


def _paths(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict):
                out.extend(str(item[k]) for k in ("path", "source", "file") if isinstance(item.get(k), str))
        return out
    return []


def listed(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(group, path) for every path the manifest lists, top level and per vendor extension."""
    found = [(group, path) for group in GROUPS for path in _paths(record.get(group))]
    extensions = record.get("extensions")
    if isinstance(extensions, dict):
        for vendor in extensions.values():
            if isinstance(vendor, dict):
                found += [(group, path) for group in GROUPS for path in _paths(vendor.get(group))]
    return found


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    resolver = Resolver(ctx)
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    entries: list[Entry] = []
    for rel in files:
        folder = posixpath.dirname(rel)
        entry = Entry(id=folder or "plugin", path=rel, source_format=FORMAT)
        entry.ignore |= off
        entries.append(entry)
        try:
            text = ctx.read_text(rel)
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            entry.problems.append(parse_problem(exc))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            entry.problems.append(LoadProblem("unreadable", f"the file cannot be read: {exc}", 1))
            continue
        if not isinstance(record, dict):
            entry.problems.append(LoadProblem("unparsable", "the manifest is not a JSON object", 1))
            continue
        lines = Lines(text)
        entry.meta = record
        key_lines = {}
        for key in record:
            line = lines.key_line(key, 0, len(text))
            if line:
                key_lines[key] = entry.field_lines[key] = line
        apply_field_map(entry, record, mapping, kind, ctx.config.kinds, key_lines)
        for group, target in listed(record):
            line = lines.value_line(target, 0, len(text)) or 1
            resolved, suggestion = resolver.manifest(folder, target, group)
            entry.refs.append(Reference("manifest", target, line, resolved, suggestion, group))
        readme = posixpath.join(folder, "README.md")
        if ctx.index.exists(readme):
            try:
                body = ctx.read_text(readme).splitlines()
            except (OSError, UnicodeDecodeError):
                body = []
            entry.twin_path = readme
            set_body(entry, body, TWIN_LINE_BASE + 1)
            entry.refs.extend(link_refs(resolver, readme, body, TWIN_LINE_BASE + 1))
    return entries
