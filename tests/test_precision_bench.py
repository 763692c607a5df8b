"""bench/precision/measure.py: labels find their findings again after lines move, and the figures add up."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.helpers import AS_OF, skill, write_tree

MEASURE_PATH = Path(__file__).resolve().parent.parent / "bench" / "precision" / "measure.py"


@pytest.fixture(scope="module")
def measure():
    spec = importlib.util.spec_from_file_location("precision_measure", MEASURE_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


BODY = textwrap.dedent("""\
    ## Use cases
    - When something needs doing. See [the setup](#setup-guide).

    ## Key features
    - It does the thing. TODO: name the second thing.

    ## Use cases
    - Said twice.

    ## Expected Output
    The thing, done.
    - TODO: describe the output.
    """)


def _directory(root: Path, shift: int) -> Path:
    """One skill with a broken anchor, a repeated heading and two TODOs; `shift` blank lines above them."""
    return write_tree(root, {"skills/alpha.md": skill("alpha", body="\n" * shift + BODY),
                             "skills/beta.md": skill("beta")})


LABELS = textwrap.dedent("""\
    corpus: tiny
    version: generated
    as_of: {as_of}
    labels:
    - {{path: skills/alpha.md, code: LNK003, line: {anchor}, quote: setup-guide, label: "true",
       reason: no such heading}}
    - {{path: skills/alpha.md, code: STR010, line: {heading}, quote: "## Use cases", label: noise, reason: said twice}}
    - {{path: skills/alpha.md, code: STR012, line: {todo1}, quote: TODO, label: "false", reason: first todo}}
    - {{path: skills/alpha.md, code: STR012, line: {todo2}, quote: TODO, label: "true", reason: second todo}}
    - {{path: skills/alpha.md, code: STR012, line: 3, quote: FIXME, label: "true", reason: a finding now gone}}
    """)


def _lines(findings: list[dict], code: str) -> list[int]:
    return sorted(f["line"] for f in findings if f["code"] == code and f["path"] == "skills/alpha.md")


@pytest.mark.slow
def test_labels_follow_their_findings_after_a_line_shift(measure, tmp_path):
    before = measure.audit_copy(_directory(tmp_path / "before", shift=0), AS_OF)
    (anchor,), (heading,), (todo1, todo2) = (_lines(before, code) for code in ("LNK003", "STR010", "STR012"))
    label_file = tmp_path / "labels" / "tiny.yml"
    label_file.parent.mkdir()
    label_file.write_text(LABELS.format(as_of=AS_OF, anchor=anchor, heading=heading, todo1=todo1, todo2=todo2))
    _, labels = measure.load_labels(label_file.parent)

    after = measure.audit_copy(_directory(tmp_path / "after", shift=4), AS_OF)
    assert _lines(after, "STR012") == [todo1 + 4, todo2 + 4]
    result = measure.match({"tiny": after}, labels)

    matched = {(label.code, label.reason): finding["line"] for finding, label in result.labelled}
    assert matched == {("LNK003", "no such heading"): anchor + 4, ("STR010", "said twice"): heading + 4,
                       ("STR012", "first todo"): todo1 + 4, ("STR012", "second todo"): todo2 + 4}
    assert [label.reason for label in result.lost] == ["a finding now gone"]
    assert len(result.unlabelled) == len(after) - 4
    assert measure.recall(result) == (2, 3)


def _finding(code: str, severity: str, line: int, message: str) -> dict:
    return {"path": "a.md", "code": code, "severity": severity, "line": line, "message": message, "evidence": ""}


def test_precision_per_rule_and_overall(measure):
    findings = {"tiny": [
        _finding("DUP001", "error", 1, "same as `x`"), _finding("DUP001", "error", 2, "same as `y`"),
        _finding("DUP001", "error", 3, "same as `z`"), _finding("DUP001", "error", 4, "same as `w`"),
        _finding("PRS004", "warning", 5, "superlative 'best'"), _finding("PRS004", "warning", 6, "superlative 'top'"),
        _finding("STL006", "info", 7, "statistic 90%"),
    ]}

    def label(code: str, quote: str, value: str) -> object:
        return measure.Label(corpus="tiny", path="a.md", code=code, quote=quote, label=value, reason="")

    labels = [label("DUP001", "`x`", "true"), label("DUP001", "`y`", "false"), label("DUP001", "`z`", "unverifiable"),
              label("PRS004", "'best'", "true"), label("PRS004", "'top'", "noise"), label("STL006", "90%", "noise")]
    result = measure.match(findings, labels)
    rows = {row.code: row for row in measure.rule_rows(result)}

    assert (rows["DUP001"].judged, rows["DUP001"].precision, rows["DUP001"].unlabelled) == (2, 0.5, 1)
    assert rows["PRS004"].precision == 0.5
    assert rows["STL006"].precision == 0.0
    severe = measure.overall(rows.values(), "warning + error", ("error", "warning"))
    assert (severe.findings, severe.judged, severe.true, severe.precision) == (6, 4, 2, 0.5)
    assert severe.weighted == pytest.approx((4 * 0.5 + 2 * 0.5) / 6)
    table = measure.render(result, markdown=True)
    assert "| DUP001 | error | 4 | 2 | 1 | 1 | 0 | 50% | 1 | 1 | 0 |" in table
    assert "| warning + error | 6 | 4 | 2 | 50% | 50% |" in table


def test_a_stub_quote_tells_findings_at_one_place_apart(measure):
    findings = [_finding("DUP004", "warning", 2, "title `Notion` is the same as the title of `notion-2`"),
                _finding("DUP004", "warning", 2, "title `Notion` is the same as the title of `notion-3`")]
    quotes = [measure.pick_quote(f, findings) for f in findings]
    assert quotes == ["notion-2", "notion-3"]
    labels = [measure.Label("tiny", "a.md", "DUP004", quote, "true", "") for quote in reversed(quotes)]
    result = measure.match({"tiny": findings}, labels)
    assert {f["message"][-9:-1]: label.quote for f, label in result.labelled} == {"notion-2": "notion-2",
                                                                                  "notion-3": "notion-3"}


def test_stubs_filled_in_match_every_finding_they_were_written_for(measure, tmp_path):
    todos = [_finding("STR012", "warning", line, "placeholder text `TODO` left in the entry") for line in (4, 9, 15)]
    titles = [_finding("DUP004", "warning", 2, f"title `Notion` is the same as `{other}`") for other in ("n-2", "n-3")]
    findings = {"tiny": todos + titles}
    stubs = yaml.safe_load(measure.stubs(measure.match(findings, []), per_rule=None))
    for number, stub in enumerate(stubs["tiny"]):
        stub.update(label="true" if number % 2 else "noise", reason=f"stub {number}")
    (tmp_path / "tiny.yml").write_text(yaml.safe_dump({"corpus": "tiny", "labels": stubs["tiny"]}))
    _, labels = measure.load_labels(tmp_path)

    result = measure.match(findings, labels)
    assert not result.unlabelled and not result.lost
    assert sorted((f["line"], f["message"][-5:], label.line) for f, label in result.labelled) == [
        (2, "`n-2`", 2), (2, "`n-3`", 2), (4, "entry", 4), (9, "entry", 9), (15, "entry", 15)]
