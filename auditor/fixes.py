"""Applying the fixes findings carry when they are certain (`Finding.edit`): `auditor fix`, and SARIF `fixes`.

An edit replaces one exact piece of text on the lines the finding names, or removes whole lines. Everything else in
the file stays byte for byte (front-matter key order, quoting, line endings): the file is read as bytes, split on
`\\n` only, and written back joined. An edit whose text is not there exactly once (the file changed since it was
read, or the text is ambiguous) is not applied, and is reported as such.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.models import Edit, Finding

# A plain YAML scalar may not start with these, nor hold `: ` or ` #`: a value that would need quoting is never a
# certain fix for a value written unquoted.
_YAML_START = set("&*!|>'\"%@`[]{},#?-:")
_TOKEN = r"[\w.\-/]"


def plain_value(text: str) -> bool:
    """True when `text` can replace a front-matter value as written, quoted or not, in YAML and in JSON."""
    return bool(text) and text == text.strip() and text[0] not in _YAML_START and ": " not in text \
        and " #" not in text and not any(ch in text for ch in '"\\\n\r\t')


def _lines(text: str) -> list[str]:
    """The text's lines with their endings, split on `\\n` only (as the sources number them)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _spot(lines: list[str], edit: Edit) -> tuple[int, re.Match[str]] | None:
    """The one place `edit.old` stands as a whole token within its lines, or None (nowhere, or several)."""
    before = f"(?<!{_TOKEN})" if re.match(_TOKEN, edit.old[:1]) else ""
    after = f"(?!{_TOKEN})" if re.match(_TOKEN, edit.old[-1:]) else ""
    pattern = re.compile(before + re.escape(edit.old) + after)
    found = [(index, match) for index in range(edit.line - 1, min(edit.line - 1 + edit.span, len(lines)))
             for match in pattern.finditer(lines[index])]
    return found[0] if len(found) == 1 else None


@dataclass
class FileFix:
    """What `fix` does to one file: its text before and after, and the findings fixed or left."""

    path: str
    before: str
    after: str = ""
    fixed: list[Finding] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)  # the file is not as the finding read it

    def diff(self) -> str:
        return "".join(difflib.unified_diff(_lines(self.before), _lines(self.after), f"a/{self.path}",
                                            f"b/{self.path}"))


def plan_fixes(findings: Iterable[Finding], root: Path, codes: set[str] | None = None) -> list[FileFix]:
    """Every certain fix of these findings (of the rules in `codes`, when given), worked out file by file on the
    files as they are now; nothing is written."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.edit is not None and (codes is None or finding.code in codes):
            by_path.setdefault(finding.edit.path, []).append(finding)
    planned = []
    for path, wanted in sorted(by_path.items()):
        text = _read(root, path)
        if text is None:
            continue
        planned.append(_fix_file(path, text, wanted))
    return planned


def _read(root: Path, path: str) -> str | None:
    """The file's text as the check read it (safe_files: inside the root, no links; --stdin's text), or None."""
    from auditor.sources.safe_files import read_bytes

    try:
        return read_bytes(root, root / path).decode("utf-8", errors="surrogateescape")
    except OSError:
        return None


def sarif_fix(root: Path, finding: Finding, texts: dict[str, str | None]) -> dict[str, Any] | None:
    """The finding's certain fix as a SARIF 2.1.0 `fix` (columns in Unicode code points, end column exclusive), or
    None when it has none or the file is not as the finding read it. `texts` caches files by path."""
    edit = finding.edit
    if edit is None:
        return None
    if edit.path not in texts:
        texts[edit.path] = _read(root, edit.path)
    text = texts[edit.path]
    if text is None:
        return None
    lines = _lines(text)
    if edit.remove_lines:
        if edit.line + edit.remove_lines - 1 > len(lines) or lines[edit.line - 1].rstrip("\r\n") != edit.old:
            return None
        region = {"startLine": edit.line, "startColumn": 1, "endLine": edit.line + edit.remove_lines, "endColumn": 1}
    else:
        spot = _spot(lines, edit)
        if spot is None:
            return None
        index, match = spot
        region = {"startLine": index + 1, "startColumn": match.start() + 1, "endLine": index + 1,
                  "endColumn": match.end() + 1}
    return {"description": {"text": finding.fix},
            "artifactChanges": [{"artifactLocation": {"uri": edit.path},
                                 "replacements": [{"deletedRegion": region, "insertedContent": {"text": edit.new}}]}]}


def _fix_file(path: str, text: str, findings: list[Finding]) -> FileFix:
    result = FileFix(path, text)
    lines = _lines(text)
    removed: set[int] = set()
    done: set[Edit] = set()
    # Replacements first (they keep line numbers), then removals from the bottom up.
    for finding in sorted(findings, key=lambda f: (f.edit.remove_lines > 0, -f.edit.line)):  # type: ignore[union-attr]
        edit = finding.edit
        assert edit is not None
        if edit in done:  # two findings, one fix (a pair reported on both sides)
            result.fixed.append(finding)
            continue
        if edit.remove_lines:
            span = range(edit.line - 1, edit.line - 1 + edit.remove_lines)
            if span.stop > len(lines) or lines[span.start].rstrip("\r\n") != edit.old or removed & set(span):
                result.left.append(finding)
                continue
            removed.update(span)
        else:
            spot = _spot(lines, edit)
            if spot is None:
                result.left.append(finding)
                continue
            index, match = spot
            lines[index] = lines[index][:match.start()] + edit.new + lines[index][match.end():]
        done.add(edit)
        result.fixed.append(finding)
    result.after = "".join(line for index, line in enumerate(lines) if index not in removed)
    return result


def write_fixes(planned: list[FileFix], root: Path) -> None:
    for fix in planned:
        if fix.after != fix.before:
            (root / fix.path).write_bytes(fix.after.encode("utf-8", errors="surrogateescape"))
