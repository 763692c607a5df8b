"""Registry JSON: MCP server records as the MCP registry keeps them.

Two shapes are read, and a file of either: the 2025-era seed list (a JSON array of records with `name`,
`description`, `repository {url, source, id}`, `version_detail {version, release_date}`, `packages
[{registry_name, name, version}]`) and the current `server.json` (`name`, `description`, `version`, `repository`,
`packages [{registryType, identifier, version}]`, `remotes`, `websiteUrl`, `_meta`), one per file or listed under
`servers` (each item a record or `{server: record, _meta: ...}`, as the registry API answers).
One record is one entry; its id is its `name`. Lines are found in the text, so findings name the record's line.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from typing import Any

from auditor.models import Entry, LoadProblem
from auditor.sources.formats import FormatContext, apply_field_map

FORMAT = "registry-json"
_MARKERS = (b'"version_detail"', b'"registry_name"', b'"registryType"', b"server.schema.json", b'"servers"')


class Lines:
    """Offsets to line numbers in one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def key_line(self, key: str, start: int, end: int) -> int | None:
        at = self.text.find(json.dumps(key) + ":", start, end)
        if at < 0:
            match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.text, start, end)
            at = match.start() if match else -1
        return self.line(at) if at >= 0 else None

    def value_line(self, value: str, start: int, end: int) -> int | None:
        at = self.text.find(json.dumps(value), start, end)
        return self.line(at) if at >= 0 else None


def parse_problem(exc: json.JSONDecodeError) -> LoadProblem:
    return LoadProblem("unparsable", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                       exc.lineno, evidence=exc.doc.splitlines()[exc.lineno - 1].strip()[:200]
                       if exc.lineno - 1 < len(exc.doc.splitlines()) else "")


def looks_like_registry(head: bytes) -> bool:
    return any(marker in head for marker in _MARKERS) and b'"name"' in head


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    found = []
    for rel in files:
        if not rel.endswith(".json"):
            continue
        name = posixpath.basename(rel)
        if "schema" in name.lower() or name in ("package.json", "plugin.json"):
            continue
        try:
            head = ctx.read_bytes(rel, 4096)
        except OSError:
            continue
        if looks_like_registry(head):
            found.append(rel)
    return found


def _records(text: str, data: Any) -> list[tuple[dict[str, Any], int, int]]:
    """(record, start offset, end offset) for every server record in the document."""
    decoder = json.JSONDecoder()
    if isinstance(data, dict) and "servers" not in data:
        return [(data, 0, len(text))]
    array_start = 0
    if isinstance(data, dict):
        match = re.search(r'"servers"\s*:\s*\[', text)
        array_start = match.end() if match else 0
    else:
        array_start = text.index("[") + 1
    found: list[tuple[dict[str, Any], int, int]] = []
    at = array_start
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text) or text[at] == "]":
            break
        item, end = decoder.raw_decode(text, at)
        if isinstance(item, dict):
            record = item.get("server") if isinstance(item.get("server"), dict) else item
            if record is not item and isinstance(item.get("_meta"), dict):
                record = {**record, "_meta": {**(record.get("_meta") or {}), **item["_meta"]}}
            found.append((record, at, end))
        at = end
    return found


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    kinds = ctx.config.kinds
    entries: list[Entry] = []
    for rel in files:
        stem = posixpath.splitext(posixpath.basename(rel))[0]
        try:
            text = ctx.read_text(rel, None)
        except (OSError, UnicodeDecodeError) as exc:
            entry = Entry(id=stem, path=rel, source_format=FORMAT)
            entry.problems.append(LoadProblem("unreadable", f"the file cannot be read: {exc}", 1))
            entries.append(entry)
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            entry = Entry(id=stem, path=rel, source_format=FORMAT)
            entry.problems.append(parse_problem(exc))
            entries.append(entry)
            continue
        lines = Lines(text)
        for number, (record, start, end) in enumerate(_records(text, data)):
            name = str(record.get("name") or "").strip()
            entry = Entry(id=name or f"{stem}#{number + 1}", path=rel, source_format=FORMAT,
                          meta=record, body_start=lines.line(start), lines=(lines.line(start), lines.line(end - 1)))
            entry.ignore |= off
            key_lines: dict[str, int] = {}
            for key in record:
                line = lines.key_line(key, start, end)
                if line:
                    key_lines[key] = line
                    entry.field_lines[key] = line
            for key in mapping:
                if "." in key and key not in key_lines:
                    line = _nested_line(lines, key, start, end)
                    if line:
                        key_lines[key] = line
            entry.field_lines.setdefault("name", lines.line(start))
            apply_field_map(entry, record, mapping, kind, kinds, key_lines)
            if entry.id != (name or entry.id):
                entry.id = name
            if not name:
                entry.problems.append(LoadProblem(
                    "missing-name", "the record has no `name`", key_lines.get("name", lines.line(start)),
                    field="name", evidence=f"record {number + 1} of {rel}"))
            entry.title = entry.title or name or None
            entries.append(entry)
    return entries


def _nested_line(lines: Lines, dotted: str, start: int, end: int) -> int | None:
    at = start
    line = None
    for part in dotted.split("."):
        match = re.compile(re.escape(json.dumps(part)) + r"\s*:").search(lines.text, at, end)
        if match is None:
            continue  # a key holding dots itself: keep looking for its later parts
        at = match.end()
        line = lines.line(match.start())
    return line
