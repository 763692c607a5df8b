"""YAML entry files with optional Markdown twins: `data/<slug>/<slug>.yml` holding the record (name, description,
source_url, category, tags, updated_at ...) and `data/<slug>/<slug>.md` its page. The slug is the entry's id.

The body is the twin when there is one (findings on it name the twin and its line), otherwise the record's
`markdown` block, read from the YAML file's own lines. A YAML file that does not parse is reported with the
parser's message and line (STR014) and its twin is still audited.
"""

from __future__ import annotations

import hashlib
import posixpath

import yaml

from auditor.models import TWIN_LINE_BASE, Entry, LoadProblem
from auditor.sources.formats import FormatContext, Resolver, apply_field_map, link_refs
from auditor.sources.markdown import compose_document, set_body, yaml_error_problem
from auditor.sources.safe_files import too_large_problem

FORMAT = "yaml-pairs"
SUFFIXES = (".yml", ".yaml")
BODY_KEYS = ("markdown", "body", "content")


def is_pair_file(rel: str) -> bool:
    stem, ext = posixpath.splitext(rel)
    return ext in SUFFIXES and "/" in rel and posixpath.basename(stem) == posixpath.basename(posixpath.dirname(rel))


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    return [rel for rel in files if rel.endswith(SUFFIXES) and is_pair_file(rel)]  # the suffix first: cheap


def twins(files: list[str], records: list[str]) -> set[str]:
    wanted = {posixpath.splitext(rel)[0] + ".md" for rel in records}
    return {rel for rel in files if rel in wanted}


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    resolver = Resolver(ctx)
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    kinds = ctx.config.kinds
    entries: list[Entry] = []
    for rel in files:
        slug = posixpath.basename(posixpath.dirname(rel))
        entry = Entry(id=slug, path=rel, source_format=FORMAT)
        entry.ignore |= off
        entries.append(entry)
        try:
            read = ctx.read(rel)
            raw = read.data
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            entry.problems.append(LoadProblem("unreadable", f"the file cannot be read as UTF-8 text: {exc}", 1))
            raw, text = b"", ""
        else:
            if read.truncated:
                entry.problems.append(too_large_problem(read, ctx.max_bytes))
        entry.content_hash = hashlib.sha256(raw).hexdigest()
        record = _parse(entry, text) if text else None
        if isinstance(record, dict):
            entry.meta = {k: v for k, v in record.items() if k not in BODY_KEYS}
            apply_field_map(entry, record, mapping, kind, kinds, dict(entry.field_lines))
        elif record is not None:
            entry.problems.append(LoadProblem("unparsable", "the file is not a mapping of `key: value` lines", 1))
        if entry.kind is None:
            entry.kind = kind
        twin = posixpath.splitext(rel)[0] + ".md"
        if ctx.index.exists(twin):
            try:
                body = ctx.read_text(twin).splitlines()
            except (OSError, UnicodeDecodeError):
                body = []
            entry.twin_path = twin
            set_body(entry, body, TWIN_LINE_BASE + 1)
            entry.refs.extend(link_refs(resolver, twin, body, TWIN_LINE_BASE + 1))
        elif isinstance(record, dict):
            _body_from_block(entry, text)
            entry.refs.extend(link_refs(resolver, rel, entry.body_lines, entry.body_start))
    return entries


def _parse(entry: Entry, text: str) -> object:
    try:
        node, data = compose_document(text)
    except yaml.YAMLError as exc:
        problem = yaml_error_problem(text, exc, 1, "")
        problem.kind = "unparsable"
        problem.message = problem.message.replace("not valid YAML", "the file is not valid YAML", 1)
        entry.problems.append(problem)
        return None
    if node is not None and isinstance(data, dict):
        for key_node, _ in node.value:
            entry.field_lines[str(key_node.value)] = 1 + key_node.start_mark.line
    return data


def _body_from_block(entry: Entry, text: str) -> None:
    """The record's `markdown:` block as the body, its lines numbered as in the YAML file."""
    start = next((entry.field_lines[k] for k in BODY_KEYS if k in entry.field_lines), None)
    if start is None:
        return
    lines = text.splitlines()
    block: list[str] = []
    for raw in lines[start:]:
        if raw and not raw[0].isspace():
            break
        block.append(raw)
    indent = min((len(b) - len(b.lstrip()) for b in block if b.strip()), default=0)
    set_body(entry, [b[indent:] for b in block], start + 1)
