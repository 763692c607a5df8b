"""Findings for terminals and CI: `path:line: CODE message` with the fix below, GitHub annotations and job
summary, JSON (schemas/findings.schema.json) and SARIF. Every finding links its rule's page (`rule_docs_url`)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor.models import Finding, Severity
from auditor.safe_text import for_terminal
from auditor.settings import DEFAULTS

FORMATS = ("text", "github", "json", "sarif")
_SARIF_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
_GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def display_path(root: Path, path: str) -> str:
    """The finding's file relative to the working directory, which is what editors and CI click on."""
    if "://" in path:  # a page of a live site
        return path
    full = os.path.abspath(os.path.join(root, path))  # not resolved: a symbolic link is shown as itself
    try:
        return os.path.relpath(full)
    except ValueError:  # another drive on Windows
        return str(full)


def display_paths(root: Path) -> Callable[[str], str]:
    """`display_path(root, path)` for the many paths of one root: the root's form relative to the working directory
    is worked out once and each path joined to it (an `abspath` and a `relpath` per finding's file cost 38 µs, half a
    second for the 12 800 files with findings of a 50 000-entry directory). Paths that could step out of the root
    (absolute ones, `..`), and every path when the working directory lies inside the root (a `relpath` could then
    climb back into it) or off POSIX, take `display_path` itself: the text is the same either way."""
    base = display_path(root, "")
    if os.name != "posix" or "://" in base or all(part == ".." for part in base.split("/")):
        return lambda path: display_path(root, path)
    normpath, join = os.path.normpath, os.path.join

    def shown(path: str) -> str:
        if "://" in path or path.startswith("/") or ".." in path.split("/"):
            return display_path(root, path)
        return normpath(join(base, path))
    return shown


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def rule_url(code: str, name: str = "", settings: Mapping[str, Any] | None = None) -> str:
    """The rule's documentation page: `rule_docs_url` with {base} (`docs_url`), {code} and {name} filled in."""
    settings = settings or DEFAULTS
    template = str(settings.get("rule_docs_url", DEFAULTS["rule_docs_url"]) or "")
    base = str(settings.get("docs_url", DEFAULTS["docs_url"]) or "").rstrip("/")
    return template.replace("{base}", base).replace("{code}", code).replace("{name}", name)


def _place(root: Path, f: Finding) -> str:
    return f"{for_terminal(display_path(root, f.path))}:{f.line}:" + (f"{f.column}:" if f.column else "")


def format_text(findings: list[Finding], root: Path, quiet: bool = False,
                settings: Mapping[str, Any] | None = None) -> str:
    """`path:line[:column]: CODE message [severity]`, and below it, indented, the fix and the rule's page
    (`quiet`: the first line only)."""
    lines = []
    for f in findings:
        lines.append(f"{_place(root, f)} {f.code} {for_terminal(f.message)} [{f.severity.name}]\n")
        if quiet:
            continue
        url = rule_url(f.code, f.name, settings)
        if f.fix:
            lines.append(f"    fix: {for_terminal(f.fix)}" + (f" (see {url})" if url else "") + "\n")
        elif url:
            lines.append(f"    see {url}\n")
    return "".join(lines)


def format_github(findings: list[Finding], root: Path, settings: Mapping[str, Any] | None = None) -> str:
    lines = []
    for f in findings:
        url = rule_url(f.code, f.name, settings)
        message = for_terminal(f.message, keep_lines=True) + (f"\nFix: {for_terminal(f.fix)}" if f.fix else "")
        message += f"\nRule: {url}" if url else ""
        column = f",col={f.column}" if f.column else ""
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity]} file={_escape_property(display_path(root, f.path))},line={f.line}{column},"
            f"title={_escape_property(f'{f.code} {f.name}')}::{_escape_data(message)}"
        )
    return "".join(line + "\n" for line in lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def github_summary(findings: list[Finding], root: Path, summary: Mapping[str, Any],
                   settings: Mapping[str, Any] | None = None, limit: int = 200) -> str:
    """The Markdown job summary (`$GITHUB_STEP_SUMMARY`): counts, then a table of the findings, worst first."""
    sev = summary.get("by_severity", {})
    lines = ["## auditor check", "",
             f"{summary.get('entries', 0)} entries checked: {sev.get('error', 0)} error, {sev.get('warning', 0)} "
             f"warning, {sev.get('info', 0)} info", ""]
    if summary.get("root"):
        lines += [f"Root `{summary['root']}`, format {', '.join(summary.get('formats') or [])}.", ""]
    if findings:
        lines += ["| severity | where | rule | message | fix |", "| --- | --- | --- | --- | --- |"]
        ordered = sorted(findings, key=lambda f: (-int(f.severity), f.path, f.line))
        for f in ordered[:limit]:
            url = rule_url(f.code, f.name, settings)
            rule = f"[{f.code}]({url})" if url else f.code
            lines.append(f"| {f.severity.name} | `{_cell(display_path(root, f.path))}:{f.line}` | {rule} | "
                         f"{_cell(f.message)} | {_cell(f.fix)} |")
        if len(ordered) > limit:
            lines += ["", f"{len(ordered) - limit} more not shown; the annotations list them all."]
    return "\n".join(lines) + "\n"


def json_document(findings: list[Finding], root: Path, summary: dict[str, Any],
                  settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    items = []
    shown: dict[str, str] = {}  # an entry's findings share its path: worked out once
    show = display_paths(root)
    for f in findings:
        item = f.as_dict()
        path = shown.get(f.path)
        if path is None:
            path = shown[f.path] = show(f.path)
        item["path"] = path
        item["column"] = f.column
        item["docs_url"] = rule_url(f.code, f.name, settings) or None
        items.append(item)
    return {"findings": items, "summary": summary}


def format_json(findings: list[Finding], root: Path, summary: dict[str, Any],
                settings: Mapping[str, Any] | None = None) -> str:
    return indented_json(json_document(findings, root, summary, settings))


_SCALARS = (str, int, float, bool, type(None))
# A finding's fields, one a line at the depth `indent=2` puts them in the document: written by json's C encoder
# (which `indent` turns off) with the line break and indentation as the separator between fields.
_ITEM_FIELDS = json.JSONEncoder(separators=(",\n      ", ": "), default=str)


def indented_json(document: dict[str, Any]) -> str:
    """`json.dumps(document, indent=2, default=str)` and a line break, the same text, for a document whose first key
    is a list of flat records (the findings: tens of thousands at 50 000 entries, 0.3 s in json's Python encoder)."""
    first = next(iter(document), None)
    items = document[first] if first is not None else None
    if not isinstance(items, list) or not items or not all(
            isinstance(item, dict) and item and all(type(value) in _SCALARS and type(key) is str
                                                    for key, value in item.items()) for item in items):
        return json.dumps(document, indent=2, default=str) + "\n"
    rest = json.dumps({key: value for key, value in document.items() if key != first}, indent=2, default=str)
    lines = ",\n".join(f"    {{\n      {_ITEM_FIELDS.encode(item)[1:-1]}\n    }}" for item in items)
    head = f"{{\n  {json.dumps(first)}: [\n{lines}\n  ]"
    return head + ("\n}" if rest == "{}" else f",\n{rest[2:]}") + "\n"


def format_sarif(findings: list[Finding], root: Path, version: str, settings: Mapping[str, Any] | None = None) -> str:
    """SARIF 2.1.0, for code-scanning views: one result per finding, the fingerprint keeps it stable across runs."""
    from auditor.checks.engine import get_rule  # the output step only reads rule docs
    from auditor.fixes import sarif_fix

    rules: dict[str, dict[str, Any]] = {}
    results = []
    texts: dict[str, str | None] = {}
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
            url = rule_url(f.code, f.name, settings)
            if url:
                rules[f.code]["helpUri"] = url
        region: dict[str, int] = {"startLine": max(f.line, 1)}
        if f.column:
            region["startColumn"] = f.column
        result = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": display_path(root, f.path).replace(os.sep, "/")},
                "region": region,
            }}],
            "partialFingerprints": {"auditorFinding/v1": f.fingerprint},
        }
        fix = sarif_fix(root, f, texts)  # only a certain fix (`auditor fix` would apply it)
        if fix is not None:
            for change in fix["artifactChanges"]:
                change["artifactLocation"]["uri"] = display_path(root, change["artifactLocation"]["uri"]).replace(
                    os.sep, "/")
            result["fixes"] = [fix]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "auditor", "version": version, "rules": list(rules.values())}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def exit_code(findings: list[Finding], fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    return 1 if any(f.severity >= fail_on for f in findings) else 0
