"""The objects that flow through the auditor: entries in, findings out."""

from __future__ import annotations

import datetime as dt
import marshal
import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

KINDS = ("tool", "mcp", "skill", "news")


class Severity(IntEnum):
    info = 1
    warning = 2
    error = 3

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().lower()]
        except KeyError:
            raise ValueError(f"unknown severity {value!r} (expected error, warning or info)") from None


@dataclass(slots=True)
class LoadProblem:
    """Something wrong with an entry file that the source noticed while reading it."""

    kind: str  # unreadable | empty | front-matter | unknown-kind | duplicate-id | bad-date
    message: str
    line: int
    field: str | None = None
    evidence: str = ""


@dataclass(slots=True)
class Reference:
    """A path one file gives to another (a relative link, a manifest item, a `relatedArticles` path), resolved by
    the source that read it, which knows its format's conventions (site routes, `.agent.md` files ...)."""

    kind: str  # link | manifest | related-article
    target: str  # as written
    line: int
    resolved: str | None = None  # the directory path it lands on; None when it names nothing
    suggestion: str | None = None  # the closest existing target, written as the reference would be
    field: str = ""  # where it is written: `agents`, `relatedArticles`, `body`
    path: str = ""  # the file it is written in, when not the entry's own path


# Body lines read from a twin file (a YAML entry's Markdown twin, a plugin's README) are numbered from here, so a
# finding on one names that file: Entry.locate() turns the number back into (twin path, line).
TWIN_LINE_BASE = 1_000_000
_TWIN_NUMBER = re.compile(r"(?<![\d,.])1\d{6}(?![\d,])")


@dataclass(slots=True)
class Section:
    """A `#` heading of an entry's body and the lines below it up to the next heading. The lines are a slice of the
    entry's `body_lines` (the same list, not a copy): an entry holds each line once."""

    title: str
    level: int
    line: int
    lines: list[str] = field(default_factory=list, repr=False)  # the entry's body lines
    start: int = 0  # index in `lines` of the first line below the heading
    stop: int = 0  # index in `lines` after the last one

    @property
    def body(self) -> list[tuple[int, str]]:
        """(line number, text) of each line below the heading, built when asked."""
        return [(self.line + 1 + offset, text) for offset, text in enumerate(self.lines[self.start:self.stop])]

    @property
    def text(self) -> str:
        return "\n".join(self.lines[self.start:self.stop]).strip()


@dataclass(slots=True)
class Entry:
    """One directory entry, whatever source it came from."""

    id: str
    path: str  # relative to the directory root, POSIX separators
    kind: str | None = None
    title: str | None = None
    summary: str | None = None
    updated: dt.date | None = None
    reviewed: dt.date | None = None
    published: dt.date | None = None
    owner: str | None = None
    related: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # the whole front matter as read
    field_lines: dict[str, int] = field(default_factory=dict)  # front-matter key -> line in the file
    body_start: int = 1  # line of the first body line
    body_lines: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    ignore: set[str] | frozenset[str] = frozenset()  # rule codes from `audit-ignore` (one shared empty set)
    problems: list[LoadProblem] = field(default_factory=list)
    content_hash: str = ""
    # Read from a directory format other than the content folder (awesome list, SKILL.md, YAML pair ...):
    source_format: str = ""  # the format's name ("" for the content folder)
    category: str | None = None  # where the directory files the entry (heading path, `category:` value)
    refs: list[Reference] = field(default_factory=list)  # paths this entry gives to other files
    twin_path: str = ""  # the file body lines at TWIN_LINE_BASE and up come from
    for_model: bool = False  # a prompt file (agent, instructions, skill body): text written for a model
    # The body is the record as written (an awesome-list bullet: name, link, badges and the description the
    # summary already holds): rules that read prose and claims read the summary, not the body again.
    body_repeats_summary: bool = False
    # Read from a live site (auditor/sources/site.py): what only the rendered page has (its Related block as
    # shown, its headings, the status of its internal links), for the SIT rules. Empty for every other source.
    site: dict[str, Any] = field(default_factory=dict)
    # The lines of its file an entry spans, (first, last), set by sources that read several entries from one file
    # (an awesome bullet, a record of a JSON list); None for an entry that is its whole file.
    lines: tuple[int, int] | None = None
    # When the entry last changed, and the evidence (auditor/entry_dates.py, after any source loads): by
    # "front-matter" (`updated` or an alias; `last_changed_ref` is the key), "git" (`last_changed_ref` is the
    # commit), "uncommitted" (being edited: changed now, no date), or "" (unknown).
    last_changed: dt.date | None = None
    last_changed_by: str = ""
    last_changed_ref: str = ""
    # An entry taken from the parsed-entry cache (auditor/sources/parsed_codec.py) keeps its body lines and sections
    # as the cache's bytes until something reads them (`pack_body`): a re-audit that reuses every finding never does,
    # and unpacking them is half of what loading 50,000 cached entries costs. None once unpacked, or never packed.
    packed_body: bytes | None = field(default=None, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        # Only called for an attribute that is not set: the body lines and sections of a packed entry.
        if name in _PACKED and self.packed_body is not None:
            body, sections = marshal.loads(self.packed_body)
            self.body_lines = body
            self.sections = [Section(*values) for values in sections]
            self.packed_body = None
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def body_mentions(self, text: str) -> bool:
        """Whether a body line holds `text`, told without unpacking a packed body (its lines are in its bytes as
        UTF-8, whole: a line holding `text` holds its bytes; bytes found otherwise only cost the unpacking)."""
        if self.packed_body is not None and text.encode() not in self.packed_body:
            return False
        return any(text in line for line in self.body_lines)

    def untwin(self, text: str) -> str:
        """A message or evidence with twin-file line numbers (TWIN_LINE_BASE and up) written as the twin's own."""
        if not self.twin_path or not text or "10" not in text:
            return text
        return _TWIN_NUMBER.sub(lambda m: str(int(m.group(0)) - TWIN_LINE_BASE), text)

    def locate(self, line: int) -> tuple[str, int]:
        """The file and line a finding at `line` names (body lines of a twin file name that file)."""
        if self.twin_path and line > TWIN_LINE_BASE:
            return self.twin_path, line - TWIN_LINE_BASE
        return self.path, line

    def line_of(self, key: str, default: int = 1) -> int:
        return self.field_lines.get(key, default)

    def section(self, title: str) -> Section | None:
        wanted = title.strip().lower()
        for section in self.sections:
            if section.level == 2 and section.title.strip().lower() == wanted:
                return section
        return None


_PACKED = frozenset({"body_lines", "sections"})


def pack_body(body_lines: list[str], sections: list[Section]) -> bytes:
    """An entry's body lines and sections as `Entry.packed_body` holds them. A section's lines are the body's list
    itself: marshal writes a list it meets twice once, and reads it back as one list again."""
    return marshal.dumps((body_lines, tuple((s.title, s.level, s.line, s.lines, s.start, s.stop) for s in sections)))


@dataclass(frozen=True)
class Edit:
    """A fix that is certain (`auditor fix`, SARIF `fixes`): in `path`, replace `old` with `new` where `old` stands
    exactly once as a whole token within lines `line` .. `line + span - 1`. An `old` found nowhere there, or more
    than once, means the file is not as the finding read it: the edit is not applied."""

    path: str  # relative to the directory root, POSIX separators
    line: int
    old: str
    new: str
    span: int = 1  # how many lines, from `line`, `old` may stand on (a YAML list under its key)
    remove_lines: int = 0  # > 0: remove this many whole lines from `line` instead (`old` is the first one's text)


@dataclass
class Finding:
    """What one rule says about one entry."""

    entry: str
    path: str
    line: int
    code: str
    name: str
    severity: Severity
    message: str
    evidence: str = ""
    fix: str = ""
    key: str = ""  # what makes this finding distinct within (entry, code); lines are left out on purpose
    fingerprint: str = ""
    reason: str = ""  # why the entry needs a refresh, a code editors filter by (REVIEW_DUE, STAT_AGE, ...)
    claim: str = ""  # the kind of claim that ages (pricing, version, capability, statistic, prose, ...)
    claim_date: dt.date | None = None  # when the claim's data dates from, for the staleness score
    column: int | None = None  # 1-based, where the finding's key text starts on its line; None when not known
    edit: Edit | None = None  # the fix, when it is certain and mechanical (auditor/fixes.py)
    suppressed: str = ""  # the inline suppression that silences it (auditor/checks/suppressions.py), if any

    @property
    def family(self) -> str:
        return "".join(ch for ch in self.code if ch.isalpha())

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.name,
            "message": self.message,
            "evidence": self.evidence,
            "fix": self.fix,
        }

    def as_record(self) -> dict[str, Any]:
        """What the store keeps with a ticket: the public shape plus why the entry needs a refresh."""
        return self.as_dict() | {
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "claim": self.claim,
            "claim_date": self.claim_date.isoformat() if self.claim_date else None,
        }
