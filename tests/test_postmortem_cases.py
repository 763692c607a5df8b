"""The PM rules' pass and fail cases, read from tests/rules/cases/PM<NNN>.yml.

PM rules judge post-mortem documents, not entries, so their cases hold `documents:` instead of `files:`
(tests/test_rule_cases.py runs the `files:` cases and checks that every rule, PM rules included, has docs and
both a passing and a failing case). A document is text, or `{base: true, set: {dotted.path: value}, unset:
[dotted.path]}`: tests/rules/postmortem_base.yml (a valid closed P1 post-mortem) changed that way. `files:`
(entries, and `auditor.toml` via `config:`) make a directory whose Incident response entry sets the policy.
An expectation names the document `path` and either its `line` or `at`, a dotted path whose line is meant.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.config import load_config
from auditor.incidents.documents import validate_documents
from auditor.incidents.policy import resolve_policy
from auditor.pipeline import load_entries
from auditor.sources.postmortem import PostmortemDoc, load_document
from tests.helpers import AS_OF, write_tree

CASES_DIR = Path(__file__).parent / "rules" / "cases"
BASE = yaml.safe_load((Path(__file__).parent / "rules" / "postmortem_base.yml").read_text(encoding="utf-8"))


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CASES_DIR.glob("PM*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.extend((data["rule"], case) for case in data["cases"])
    return found


CASES = _cases()


def _parts(dotted: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in str(dotted).split(".")]


def _apply(spec: dict[str, Any]) -> str:
    data = copy.deepcopy(BASE)
    for dotted, value in (spec.get("set") or {}).items():
        *parents, last = _parts(dotted)
        node: Any = data
        for part in parents:
            node = node[part] if isinstance(part, int) else node.setdefault(part, {})
        if isinstance(last, int) and last == len(node):
            node.append(value)
        else:
            node[last] = value
    for dotted in spec.get("unset") or []:
        *parents, last = _parts(dotted)
        node = data
        for part in parents:
            node = node[part]
        del node[last]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200)


def _document_text(value: str | dict[str, Any]) -> str:
    return _apply(value) if isinstance(value, dict) else value


@pytest.mark.parametrize(("code", "case"), CASES, ids=[f"{code}-{case['name']}" for code, case in CASES])
def test_postmortem_case(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    assert "documents" in case, f"{code} case {case['name']!r} has no `documents:`"
    files = dict(case.get("files") or {})
    if "config" in case:
        files["auditor.toml"] = case["config"]
    write_tree(tmp_path, files)
    docs_dir = tmp_path / "postmortems"
    write_tree(docs_dir, {name: _document_text(value) for name, value in case["documents"].items()})
    config = load_config(tmp_path)
    policy, _ = resolve_policy(config.pack, load_entries(tmp_path, config))
    docs: list[PostmortemDoc] = [load_document(docs_dir / name, name) for name in sorted(case["documents"])]
    as_of = dt.date.fromisoformat(str(case.get("as_of", AS_OF)))
    findings = [f for f in validate_documents(docs, config, as_of, policy) if f.code == code]
    by_name = {doc.path: doc for doc in docs}
    expected = sorted((e["path"], e["line"] if "line" in e else by_name[e["path"]].line_of(e["at"]))
                      for e in case["expect"])
    got = sorted((f.path, f.line) for f in findings)
    assert got == expected, "\n".join(f"{f.path}:{f.line}: {f.message}" for f in findings)
    for want in case["expect"]:
        line = want["line"] if "line" in want else by_name[want["path"]].line_of(want["at"])
        match = next(f for f in findings if (f.path, f.line) == (want["path"], line))
        if "message" in want:
            assert want["message"] in match.message, match.message
        if "fix" in want:
            assert want["fix"] in match.fix, match.fix
