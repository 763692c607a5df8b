"""Every rule's pass and fail cases, read from tests/rules/cases/<CODE>.yml.

A case writes a small directory, audits it, and compares what the rule under test found
(path and line, and optionally a piece of the message or fix) with `expect`. A rule without
docs or without both a passing and a failing case fails here. A file's content is text, or
`{bytes_b64: ...}` for raw bytes YAML cannot hold (e.g. a file that is not UTF-8). A case with `registry:`
(PyPI and npm packages, see tests/registry_server.py) runs against a registry server on 127.0.0.1; one with
`links:` gives web links canned verdicts (tests/links_cases.py); one with `site:` gives entries (by path) the crawl
data a live site's page carries (`Entry.site`, auditor/sources/site.py), for the SIT rules.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from pathlib import Path

import pytest
import yaml

from auditor.checks.engine import all_rules
from auditor.config import load_config
from auditor.pipeline import check_entries, load_entries
from tests.helpers import AS_OF, write_tree
from tests.links_cases import links_for_case
from tests.registry_server import registry_for_case

CASES_DIR = Path(__file__).parent / "rules" / "cases"
DOC_FIELDS = ("title", "what", "why", "example", "fix")


def _load_cases() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            cases.append((data["rule"], case))
    return cases


CASES = _load_cases()
# Post-mortem (PM) cases hold `documents:` instead of `files:`; tests/test_postmortem_cases.py runs them.
ENTRY_CASES = [(code, case) for code, case in CASES if "documents" not in case]


def _content(value: str | dict) -> str | bytes:
    if isinstance(value, dict):
        return base64.b64decode(value["bytes_b64"])
    return value


@pytest.mark.parametrize(("code", "case"), ENTRY_CASES, ids=[f"{code}-{case['name']}" for code, case in ENTRY_CASES])
def test_rule_case(code: str, case: dict, tmp_path: Path) -> None:
    files = {rel: _content(value) for rel, value in case["files"].items()}
    if "config" in case:
        files["auditor.toml"] = case["config"]
    write_tree(tmp_path, files)
    config = load_config(tmp_path)
    as_of = dt.date.fromisoformat(str(case.get("as_of", AS_OF)))
    with contextlib.ExitStack() as stack:
        # `registry:` in a case serves those packages from a registry on 127.0.0.1 (tests/registry_server.py);
        # without it the case runs offline, as CI does.
        registry = stack.enter_context(registry_for_case(case["registry"])) if "registry" in case else None
        # `links:` gives web links canned verdicts (tests/links_cases.py); without it no link is fetched.
        links = links_for_case(case["links"], config, as_of) if "links" in case else None
        entries = load_entries(tmp_path, config)
        for entry in entries:  # `site:` (by path) gives entries the crawl data of a live site's page (SIT rules)
            entry.site = case.get("site", {}).get(entry.path, entry.site)
        findings = [f for f in check_entries(entries, config, as_of, registry=registry, links=links, root=tmp_path)
                    if f.code == code]
    got = sorted((f.path, f.line) for f in findings)
    expected = sorted((e["path"], e["line"]) for e in case["expect"])
    assert got == expected, "\n".join(f"{f.path}:{f.line}: {f.message}" for f in findings)
    for want in case["expect"]:
        match = next(f for f in findings if (f.path, f.line) == (want["path"], want["line"]))
        if "message" in want:
            assert want["message"] in match.message
        if "fix" in want:
            assert want["fix"] in match.fix


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_documented_and_has_cases(rule: type) -> None:
    for field in DOC_FIELDS:
        assert getattr(rule, field, "").strip(), f"{rule.code} has no `{field}` doc"
    assert rule.name.count(".") == 1 and rule.name == rule.name.lower(), f"{rule.code}: name {rule.name!r}"
    mine = [case for code, case in CASES if code == rule.code]
    assert any(not case["expect"] for case in mine), f"{rule.code} has no passing case in {CASES_DIR}"
    assert any(case["expect"] for case in mine), f"{rule.code} has no failing case in {CASES_DIR}"
