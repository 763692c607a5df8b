"""Findings for terminals and CI: `path:line: CODE message`, GitHub annotations, and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from auditor.models import Finding, Severity

FORMATS = ("text", "github", "json")
_GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def display_path(root: Path, path: str) -> str:
    """The finding's file relative to the working directory, which is what editors and CI click on."""
    full = (root / path).resolve()
    try:
        return os.path.relpath(full)
    except ValueError:  # another drive on Windows
        return str(full)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_text(findings: list[Finding], root: Path) -> str:
    return "".join(
        f"{display_path(root, f.path)}:{f.line}: {f.code} {f.message} [{f.severity.name}]\n" for f in findings
    )


def format_github(findings: list[Finding], root: Path) -> str:
    lines = []
    for f in findings:
        message = f.message + (f"\nFix: {f.fix}" if f.fix else "")
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity]} file={_escape_property(display_path(root, f.path))},line={f.line},"
            f"title={_escape_property(f'{f.code} {f.name}')}::{_escape_data(message)}"
        )
    return "".join(line + "\n" for line in lines)


def json_document(findings: list[Finding], root: Path, summary: dict[str, Any]) -> dict[str, Any]:
    items = []
    for f in findings:
        item = f.as_dict()
        item["path"] = display_path(root, f.path)
        items.append(item)
    return {"findings": items, "summary": summary}


def format_json(findings: list[Finding], root: Path, summary: dict[str, Any]) -> str:
    return json.dumps(json_document(findings, root, summary), indent=2, default=str) + "\n"


def exit_code(findings: list[Finding], fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in findings) else 0
