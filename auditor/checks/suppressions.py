"""Inline suppressions: what an entry's own text says to keep quiet, and the ones that silence nothing.

In an entry's body, as Markdown comments (invisible when rendered):

    <!-- auditor-disable-next-line PRS001 -->       the next line
    <!-- auditor-disable STL003 PRS002 -->          from here ...
    <!-- auditor-enable STL003 PRS002 -->           ... to here (or to the end of the file)

and in its front matter, `audit-ignore` items that name a rule and a key (`XRF003:postmortem-taxonomy`): that one
finding of the rule, wherever it is (a bare code, `audit-ignore: [XRF003]`, switches the rule off for the entry).
A suppressed finding leaves the results; the run's summary counts it. A suppression that silences nothing is
itself a finding (SUP001), so suppressions do not outlive what they were written for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.markdown_text import fenced_lines
from auditor.models import Entry, Finding

# A comment that opens its line (a mention in running text or in inline code is not one), outside code fences.
_COMMENT = re.compile(r"^\s*<!--\s*auditor-(disable-next-line|disable|enable)\b([^>]*?)-->", re.IGNORECASE)
_CODE = re.compile(r"^[A-Za-z]+\d{3}$")


@dataclass
class Suppression:
    """One suppression as written: where, which rule codes, and what it covers."""

    form: str  # disable-next-line | disable | audit-ignore
    codes: tuple[str, ...]
    path: str
    line: int  # where it is written
    first: int = 0  # the lines it covers, first .. last (audit-ignore: none, it matches a key)
    last: int = 0
    key: str = ""  # audit-ignore: the finding's key, lower-cased
    used: set[str] = field(default_factory=set)  # the codes it silenced

    def covers(self, finding: Finding) -> bool:
        if finding.code not in self.codes:
            return False
        if self.form == "audit-ignore":
            return finding.key.lower() == self.key
        return finding.path == self.path and self.first <= finding.line <= self.last

    @property
    def written(self) -> str:
        if self.form == "audit-ignore":
            return f"audit-ignore: {self.codes[0]}:{self.key}"
        return f"<!-- auditor-{self.form} {' '.join(self.codes)} -->"


def suppressions(entry: Entry) -> list[Suppression]:
    """The entry's inline suppressions, with the lines each covers (in the files findings name: a twin's body
    lines name the twin)."""
    found: list[Suppression] = []
    for item in sorted(entry.ignore):
        code, colon, key = item.partition(":")
        if colon and _CODE.match(code.strip()) and key.strip():
            found.append(Suppression("audit-ignore", (code.strip().upper(),), entry.path, entry.line_of("audit-ignore"),
                                     key=key.strip().lower()))
    if not entry.body_mentions("auditor-"):  # most entries have no such comment (a packed body stays packed)
        return found
    lines = entry.body_lines
    open_ranges: dict[str, Suppression] = {}
    last_line = entry.body_start + len(lines) - 1
    for offset, (text, in_code) in enumerate(zip(lines, fenced_lines(lines), strict=True)):
        if in_code or "auditor-" not in text:
            continue
        for match in _COMMENT.finditer(text):
            form = match.group(1).lower()
            codes = tuple(dict.fromkeys(code.upper() for code in re.split(r"[\s,]+", match.group(2))
                                        if _CODE.match(code)))
            if not codes:
                continue
            path, line = entry.locate(entry.body_start + offset)
            if form == "disable-next-line":
                found.append(Suppression(form, codes, path, line, first=line + 1, last=line + 1))
            elif form == "disable":  # one range per code: an enable may end some of them and not the others
                for code in codes:
                    open_ranges[code] = Suppression(form, (code,), path, line, first=line,
                                                    last=entry.locate(last_line)[1])
                    found.append(open_ranges[code])
            else:  # enable: ends the open range of each code it names
                for code in codes:
                    begun = open_ranges.pop(code, None)
                    if begun is not None and begun.path == path:
                        begun.last = line
    return found


def apply_suppressions(entries: Iterable[Entry], findings: list[Finding], unused_rule: Any = None,
                       active: set[str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): each finding an entry's suppression covers is marked and set apart. With `unused_rule`
    (SUP001, when it runs), a suppression of an active rule (`active` codes) that covers nothing becomes its
    finding in `kept`."""
    by_entry: dict[str, list[Suppression]] = {}
    owners: dict[str, Entry] = {}
    for entry in entries:
        found = suppressions(entry)
        if found:
            by_entry.setdefault(entry.id, []).extend(found)
            owners.setdefault(entry.id, entry)
    if not by_entry:
        return findings, []
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        for suppression in by_entry.get(finding.entry, ()):
            if suppression.covers(finding):
                suppression.used.add(finding.code)
                finding.suppressed = suppression.written
                suppressed.append(finding)
                break
        else:
            kept.append(finding)
    if unused_rule is not None:
        for entry_id, found in by_entry.items():
            for suppression in found:
                idle = [code for code in suppression.codes
                        if code not in suppression.used and (active is None or code in active)]
                if idle:
                    kept.append(unused_rule.unused(owners[entry_id], suppression, idle))
    return kept, suppressed


def suppressed_summary(suppressed: list[Finding]) -> dict[str, Any]:
    """The summary's `suppressed`: how many findings inline suppressions kept quiet, by rule code."""
    return {"findings": len(suppressed), "by_code": dict(sorted(Counter(f.code for f in suppressed).items()))}
