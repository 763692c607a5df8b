"""The post-mortem source: YAML files, or Markdown with that YAML as front matter, read into documents whose
every key and list item knows its line. Bad input never raises: it becomes a problem with a line (PM001)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.models import LoadProblem
from auditor.sources.markdown import compose_document, yaml_error_problem
from auditor.sources.safe_files import (
    DEFAULT_MAX_ENTRY_BYTES,
    Refused,
    read_capped,
    refused_problem,
    too_large_problem,
)

SUFFIXES = (".yml", ".yaml", ".md")
SKIP_NAMES = ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")
Key = tuple[str | int, ...]


@dataclass
class PostmortemDoc:
    """One post-mortem document. `path` is what findings show; `id` is `incident.id`, else the file name."""

    id: str
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Key, int] = field(default_factory=dict)  # (key, index, key, ...) -> line in the file
    problems: list[LoadProblem] = field(default_factory=list)
    content_hash: str = ""

    def get(self, dotted: str | Key, default: Any = None) -> Any:
        value: Any = self.data
        for part in _parts(dotted):
            if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
                value = value[part]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
        return value

    def has(self, dotted: str | Key) -> bool:
        return self.get(dotted, _MISSING) not in (_MISSING, None, "", [], {})

    def line_of(self, dotted: str | Key) -> int:
        """The line of this key, else of the nearest enclosing key that exists, else 1."""
        parts = _parts(dotted)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return 1

    def text(self, dotted: str | Key) -> str:
        value = self.get(dotted)
        return "" if value is None else str(value)


_MISSING = object()


def _parts(dotted: str | Key) -> Key:
    if isinstance(dotted, tuple):
        return dotted
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def iter_documents(paths: list[Path]) -> Iterator[tuple[Path, Path | None]]:
    """(file, the folder it was found in) for the files named (no folder), and the post-mortem files (*.yml,
    *.yaml, *.md) under the folders named, sorted."""
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                for name in sorted(files):
                    if name.endswith(SUFFIXES) and name not in SKIP_NAMES:
                        yield Path(folder) / name, path
        else:
            yield path, None


def load_document(path: Path, shown_as: str | None = None, root: Path | None = None,
                  limit: int = DEFAULT_MAX_ENTRY_BYTES) -> PostmortemDoc:
    """One post-mortem file: a regular file (inside `root`, when it was found by walking that folder), at most
    `limit` bytes of it."""
    shown = shown_as or str(path)
    doc = PostmortemDoc(id=path.stem, path=shown)
    try:
        read = read_capped(root, path, limit)
    except Refused as exc:
        doc.problems.append(refused_problem(exc))
        return doc
    except OSError as exc:
        doc.problems.append(LoadProblem("unreadable", f"the file cannot be read: {exc.strerror}", 1))
        return doc
    if read.truncated:
        doc.problems.append(too_large_problem(read, limit))
        return doc  # a post-mortem is one YAML document: the first part of it would not parse
    return read_document(read.data, doc, markdown=path.suffix == ".md")


def read_document(raw: bytes, doc: PostmortemDoc, markdown: bool = False) -> PostmortemDoc:
    doc.content_hash = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        doc.problems.append(LoadProblem("empty", "the file is empty", 1))
        return doc
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        doc.problems.append(LoadProblem("unreadable", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                                        line))
        return doc
    first_line = 1
    if markdown:
        lines = text.splitlines()
        if not lines or lines[0].strip() != "---":
            doc.problems.append(LoadProblem("front-matter", "the Markdown file does not start with a `---` block "
                                            "holding the post-mortem YAML", 1, evidence=lines[0] if lines else ""))
            return doc
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if closing is None:
            doc.problems.append(LoadProblem("front-matter", "the front matter is never closed with `---`", 1))
            return doc
        text, first_line = "\n".join(lines[1:closing]), 2
    try:
        node, data = compose_document(text)  # times stay text there too
    except yaml.YAMLError as exc:
        doc.problems.append(yaml_error_problem(text, exc, first_line, ""))
        return doc
    if not isinstance(data, dict):
        doc.problems.append(LoadProblem("front-matter", "the document is not a mapping with `incident:` and "
                                        "`postmortem:` keys", first_line))
        return doc
    doc.data = data
    _index(node, (), doc.lines, first_line)
    if not isinstance(data.get("incident"), dict):
        doc.problems.append(LoadProblem("not-a-postmortem", "the document has no `incident:` mapping",
                                        doc.line_of("incident") if "incident" in data else first_line,
                                        field="incident"))
    else:
        incident_id = data["incident"].get("id")
        if isinstance(incident_id, str | int) and str(incident_id).strip():
            doc.id = str(incident_id).strip()
    return doc


def _index(node: yaml.Node, prefix: Key, lines: dict[Key, int], first_line: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = prefix + (str(key_node.value),)
            lines[key] = first_line + key_node.start_mark.line
            _index(value_node, key, lines, first_line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = prefix + (i,)
            lines[key] = first_line + item.start_mark.line
            _index(item, key, lines, first_line)
