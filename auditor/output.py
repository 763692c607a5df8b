"""Findings for terminals and CI: `path:line: CODE message`, GitHub annotations, and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from auditor.models import Finding, Severity
from auditor.safe_text import for_terminal

FORMATS = ("text", "github", "json", "sarif")
_SARIF_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
_GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def display_path(root: Path, path: str) -> str:
    """The finding's file relative to the working directory, which is what editors and CI click on."""
    if "://" in path:  # a page of a live site
        return path
    full = os.path.abspath(root / path)  # not resolved: a symbolic link is shown as itself
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
        f"{for_terminal(display_path(root, f.path))}:{f.line}: {f.code} {for_terminal(f.message)} [{f.severity.name}]\n"
        for f in findings
    )


def format_github(findings: list[Finding], root: Path) -> str:
    lines = []
    for f in findings:
        message = for_terminal(f.message, keep_lines=True) + (f"\nFix: {for_terminal(f.fix)}" if f.fix else "")
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


def format_sarif(findings: list[Finding], root: Path, version: str) -> str:
    """SARIF 2.1.0, for code-scanning views: one result per finding, the fingerprint keeps it stable across runs."""
    from auditor.checks.engine import get_rule  # the output step only reads rule docs

    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        if f.code not in rules:
            rule = get_rule(f.code)
            rules[f.code] = {
                "id": f.code, "name": f.name,
                "shortDescription": {"text": rule.title if rule else f.name},
                "fullDescription": {"text": rule.what if rule else f.name},
                "help": {"text": rule.fix if rule else ""},
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity if rule else f.severity]},
            }
        results.append({
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": display_path(root, f.path).replace(os.sep, "/")},
                "region": {"startLine": max(f.line, 1)},
            }}],
            "partialFingerprints": {"auditorFinding/v1": f.fingerprint},
        })
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "auditor", "version": version, "rules": list(rules.values())}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def exit_code(findings: list[Finding], fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in findings) else 0
