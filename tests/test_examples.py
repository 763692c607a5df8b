"""The bundled example directory: every planted problem is found, and clean entries stay clean."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from auditor.config import load_config
from auditor.models import Severity
from auditor.pipeline import check_entries, load_entries

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"
PLANTED_TABLE = EXAMPLES / "PLANTED.md"


def _planted() -> list[tuple[str, str]]:
    """(entry id, rule code) for every row of the table in PLANTED.md."""
    rows = []
    for line in PLANTED_TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[A-Z]{2,3}\d{3}", cells[3]):
            rows.append((cells[0], cells[3]))
    return rows


PLANTED = _planted()


def _audit() -> tuple[list, list]:
    config = load_config(EXAMPLES)
    entries = load_entries(EXAMPLES, config)
    return entries, check_entries(entries, config, dt.date(2026, 11, 28))


def test_examples_have_at_least_20_entries_of_all_four_kinds() -> None:
    entries, _ = _audit()
    assert len(entries) >= 20
    assert {e.kind for e in entries} == {"tool", "mcp", "skill", "news"}
    titles = {e.title for e in entries}
    assert {"Incident response", "Systematic debugging", "Postmortem trigger and root-cause taxonomy",
            "Content refresh"} <= titles


def test_planted_table_is_read() -> None:
    assert len(PLANTED) >= 10
    assert ("code-review", "XRF001") in PLANTED


def test_every_planted_problem_is_found() -> None:
    _, findings = _audit()
    found = {(f.entry, f.code) for f in findings}
    missing = [row for row in PLANTED if row not in found]
    assert not missing, f"planted problems not found: {missing}"


def test_clean_entries_have_no_finding_at_warning_or_above() -> None:
    _, findings = _audit()
    planted = set(PLANTED)
    extra = [f"{f.path}:{f.line} {f.code} {f.message}" for f in findings
             if f.severity >= Severity.warning and (f.entry, f.code) not in planted]
    assert not extra, "\n".join(extra)


def test_planted_info_findings_are_the_only_info_findings_of_their_rule() -> None:
    # Info findings may appear on clean entries, but a rule that has a planted case must not also fire elsewhere.
    _, findings = _audit()
    planted_codes = {code for _, code in PLANTED}
    planted = set(PLANTED)
    extra = [f"{f.path}:{f.line} {f.code} {f.message}" for f in findings
             if f.code in planted_codes and (f.entry, f.code) not in planted]
    assert not extra, "\n".join(extra)
