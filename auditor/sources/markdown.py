"""Reading one entry file: YAML front matter (with line numbers) and Markdown sections."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import yaml

from auditor import safe_yaml
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, LoadProblem, Section
from auditor.safe_yaml import YamlLimitError
from auditor.shared_text import share_lines, shared

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
DATE_FIELDS = ("updated", "reviewed", "published")


def _without_timestamps(base: type) -> type:
    """Safe YAML without implicit timestamps: dates stay text so a bad one is reported, not raised."""
    base_resolve = base.resolve
    plain_tags: dict[str, str] = {}

    def resolve(self: Any, kind: type, value: Any, implicit: Any) -> str:
        # Keys and common values repeat across thousands of files: remember the tag of each plain scalar
        # instead of running the resolver's regular expressions again (these loaders have no path resolvers).
        if kind is yaml.ScalarNode and implicit[0]:
            tag = plain_tags.get(value)
            if tag is None:
                tag = base_resolve(self, kind, value, implicit)
                if len(plain_tags) < 50_000 and len(value) < 64:
                    plain_tags[value] = tag
            return tag
        return base_resolve(self, kind, value, implicit)

    loader = type(f"FrontMatter{base.__name__}", (base,), {"resolve": resolve})
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return loader


# libyaml parses about eight times faster; the pure-Python loader re-reads a front matter that fails,
# because its error messages are the clearer ones and errors are rare.
_PureLoader = _without_timestamps(yaml.SafeLoader)
_FastLoader = _without_timestamps(yaml.CSafeLoader) if getattr(yaml, "__with_libyaml__", False) else _PureLoader


def parse_date(value: Any) -> dt.date | None:
    """A front-matter date, or None when the value is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10:  # a timestamp such as 2026-10-01T09:30:00Z; trailing junk is not a date
                return dt.datetime.fromisoformat(text).date()
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_entry(raw: bytes, entry_id: str, rel_path: str, kinds: tuple[str, ...]) -> Entry:
    """Turn the bytes of one file into an Entry; every problem becomes a LoadProblem, never an exception."""
    entry = Entry(id=entry_id, path=rel_path, content_hash=hashlib.sha256(raw).hexdigest())
    if not raw.strip():
        entry.problems.append(LoadProblem("empty", "the file is empty", 1))
        return entry
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(raw, exc.start)
        entry.problems.append(
            LoadProblem("unreadable", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line)
        )
        return entry
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        entry.problems.append(
            LoadProblem("front-matter", "the file does not start with a `---` front-matter block", 1,
                        evidence=lines[0] if lines else "")
        )
        _read_body(entry, lines, 0)
        return entry
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if closing is None:
        entry.problems.append(LoadProblem("front-matter", "the front matter is never closed with `---`", 1))
        return entry
    _read_front_matter(entry, "\n".join(lines[1:closing]), kinds)
    _read_body(entry, lines, closing + 1)
    return entry


FrontMatter = tuple[dict[str, Any], dict[str, int], list[LoadProblem]]


def parse_front_matter(text: str) -> FrontMatter:
    """(meta, key lines, problems) of one front matter: the costly part of reading an entry, and picklable."""
    first_line = 2  # the YAML starts on the line after the opening `---`
    try:
        node, data = compose_document(text)
    except yaml.YAMLError as exc:
        return {}, {}, [yaml_error_problem(text, exc, first_line, "the front matter")]
    if not isinstance(data, dict):
        return {}, {}, [LoadProblem("front-matter", "the front matter is not a mapping of `key: value` lines",
                                    first_line)]
    field_lines = {}
    if node is not None:
        for key_node, _ in node.value:
            field_lines[shared(str(key_node.value))] = first_line + key_node.start_mark.line
    return data, field_lines, []


def apply_front_matter(entry: Entry, parsed: FrontMatter, kinds: tuple[str, ...]) -> None:
    """Give an entry its parsed front matter."""
    meta, field_lines, problems = parsed
    if problems:
        entry.problems.extend(problems)
        return
    entry.meta = meta
    entry.field_lines.update(field_lines)
    _coerce_fields(entry, kinds)


def _read_front_matter(entry: Entry, text: str, kinds: tuple[str, ...]) -> None:
    apply_front_matter(entry, parse_front_matter(text), kinds)


def compose_document(text: str) -> tuple[Any, Any]:
    """(root node, value) of a YAML document written by a contributor, within safe_yaml's limits; a syntax error
    found by libyaml is raised as the pure-Python loader words it."""
    try:
        return _compose(text, _FastLoader)
    except YamlLimitError:
        raise
    except yaml.YAMLError:
        if _FastLoader is _PureLoader:
            raise
        return _compose(text, _PureLoader)


def _compose(text: str, loader_class: type) -> tuple[Any, Any]:
    node, loader = safe_yaml.compose(text, loader_class)
    try:
        if node is None:
            return node, {}
        try:
            return node, _construct(loader, node)
        except (RecursionError, _Unusual):
            return node, loader.construct_document(node)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A node the fast constructor leaves to PyYAML: merge keys, unhashable keys, custom collection tags."""


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _construct(loader: Any, node: yaml.Node) -> Any:
    """The Python value of a node, as PyYAML's safe constructor builds it but without its generic machinery
    (most of the time spent loading front matter). Plain strings, lists and mappings are built here; every
    other scalar (numbers, booleans, null) goes through the loader's own constructor."""
    node_type = type(node)
    if node_type is yaml.ScalarNode:
        return shared(node.value) if node.tag == _STR else loader.construct_object(node, deep=True)
    if node_type is yaml.SequenceNode and node.tag == _SEQ:
        return [_construct(loader, item) for item in node.value]
    if node_type is yaml.MappingNode and node.tag == _MAP:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or type(key_node) is not yaml.ScalarNode:
                raise _Unusual
            result[_construct(loader, key_node)] = _construct(loader, value_node)
        return result
    raise _Unusual


def yaml_error_problem(text: str, exc: yaml.YAMLError, first_line: int, what: str) -> LoadProblem:
    """A LoadProblem for a YAML parse error, `what` naming the document ("the front matter") or empty."""
    # Point at where the broken construct began (an unclosed `[` or quote), not where the parser gave up.
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = context_mark or problem_mark
    line = first_line + (mark.line if mark else 0)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if isinstance(exc, YamlLimitError):
        message = f"{what or 'the file'} is not read: {problem}"
    else:
        message = (f"{what} is not valid YAML" if what else "not valid YAML") + f": {problem}"
    message += f" ({context})" if context else ""
    if context_mark and problem_mark and problem_mark.line != context_mark.line:
        message += f"; the parser stopped on line {first_line + problem_mark.line}"
    yaml_lines = text.splitlines()
    evidence = yaml_lines[mark.line].strip() if mark and mark.line < len(yaml_lines) else ""
    return LoadProblem("front-matter", message, line, evidence=evidence)


def _coerce_fields(entry: Entry, kinds: tuple[str, ...]) -> None:
    meta = entry.meta

    # Values of the wrong type are left unset here; STR007 reports them from `meta`.
    if "id" in meta and meta["id"] not in (None, ""):
        entry.id = str(meta["id"])
    for key in ("title", "summary", "owner"):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str | int | float):
            setattr(entry, key, str(value).strip() or None)
    kind = meta.get("kind")
    if kind is not None:
        kind_text = str(kind).strip().lower()
        if kind_text in kinds:
            entry.kind = shared(kind_text)
        else:
            entry.problems.append(
                LoadProblem("unknown-kind", f"unknown kind {kind!r} (expected one of {', '.join(kinds)})",
                            entry.line_of("kind"), field="kind", evidence=f"kind: {kind}")
            )
    for key in DATE_FIELDS:
        if meta.get(key) is None:
            continue
        value = parse_date(meta[key])
        if value is None:
            entry.problems.append(
                LoadProblem("bad-date", f"`{key}` is not a date: {meta[key]!r} (expected YYYY-MM-DD)",
                            entry.line_of(key), field=key, evidence=f"{key}: {meta[key]}")
            )
        else:
            setattr(entry, key, value)
    related = meta.get("related")
    if related is not None:
        if isinstance(related, str):
            related = [related]
        if isinstance(related, list) and all(isinstance(item, str | int) for item in related):
            entry.related = [str(item).strip() for item in related]
    links = meta.get("links")
    if links is not None:
        if isinstance(links, dict):
            entry.links = {str(k): str(v) for k, v in links.items() if v is not None}
    ignore = meta.get("audit-ignore")
    if ignore is not None:
        if isinstance(ignore, str):
            ignore = [ignore]
        if isinstance(ignore, list):
            entry.ignore = {str(code).strip().upper() for code in ignore}


def _read_body(entry: Entry, lines: list[str], start: int) -> None:
    set_body(entry, lines[start:], start + 1)


def set_body(entry: Entry, lines: list[str], first_line: int) -> None:
    """Give the entry these body lines, numbered from `first_line`, with their `#` sections (outside fences)."""
    entry.body_start = first_line
    share_lines(lines)
    entry.body_lines = lines
    entry.sections = []
    current: Section | None = None
    for offset, (text, in_code) in enumerate(zip(lines, fenced_lines(lines), strict=True)):
        number = first_line + offset
        if not in_code and text[:1] == "#":
            match = _HEADING.match(text)
            if match:
                if current is not None:
                    current.stop = offset
                current = Section(title=shared(match.group(2)), level=len(match.group(1)), line=number, lines=lines,
                                  start=offset + 1, stop=offset + 1)
                entry.sections.append(current)
    if current is not None:
        current.stop = len(lines)
