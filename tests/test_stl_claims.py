"""The claim rules STL002-STL008: how text is read, the shipped facts registry, and the examples' acceptance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.checks.engine import all_rules
from auditor.checks.rules.staleness._claims import Stat, agrees, find_dates, find_stats, lexicon
from auditor.config import load_config, load_rule_pack
from auditor.pipeline import check_entries, load_entries

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"
CLAIM_RULES = {f"STL00{n}" for n in range(2, 9)}


@pytest.fixture(scope="module")
def lex():
    return lexicon(load_rule_pack())


@pytest.fixture(scope="module")
def example_findings():
    config = load_config(EXAMPLES)
    entries = load_entries(EXAMPLES, config)
    return [f for f in check_entries(entries, config, dt.date(2026, 11, 28)) if f.code in CLAIM_RULES]


def test_the_registry_ships_the_sre_workbook_appendix_c_figures() -> None:
    facts = load_rule_pack()["facts"]["sre-workbook-appendix-c"]
    assert facts["url"] == "https://sre.google/workbook/postmortem-analysis/"
    triggers, causes = facts["groups"]
    assert triggers["period"] == {"from": 2010, "to": 2017}
    assert {f["label"]: f["value"] for f in triggers["figures"]} == {
        "binary push": 37, "configuration push": 31, "user behavior change": 9, "processing pipeline": 6,
        "service provider change": 5, "performance decay": 5, "capacity management": 5, "hardware": 2,
    }
    assert causes["period"] is None
    assert {f["label"]: f["value"] for f in causes["figures"]} == {
        "software": 41.35, "development process failure": 20.23, "complex system behaviors": 16.90,
        "deployment planning": 6.74, "network failure": 2.75,
    }


def test_postmortem_taxonomy_has_a_stale_statistic_dated_2017_and_no_mismatch(example_findings) -> None:
    mine = [f for f in example_findings if f.entry == "postmortem-taxonomy"]
    stale = [f for f in mine if f.code == "STL005"]
    assert any(f.evidence.startswith("data from 2010–2017 (2017)") and f.claim_date == dt.date(2017, 12, 31)
               for f in stale), [f.evidence for f in stale]
    assert all(f.reason == "STAT_AGE" and f.claim == "statistic" for f in stale)
    assert not [f for f in mine if f.code in ("STL007", "STL008")]


def test_the_misquoted_figure_is_a_mismatch_error(example_findings) -> None:
    mismatch = [f for f in example_findings if f.code == "STL007"]
    assert [(f.entry, f.severity.name, f.reason) for f in mismatch] == [("release-checklist", "error", "STAT_MISMATCH")]
    assert "35%" in mismatch[0].message and "37%" in mismatch[0].message


def test_now_overdue_in_a_reviewed_entry_is_not_flagged(example_findings) -> None:
    assert not [f for f in example_findings if f.entry == "incident-response"]


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.code in CLAIM_RULES], ids=lambda r: r.code)
def test_claim_rules_set_reason_and_claim(rule: type) -> None:
    assert rule.reason and rule.reason != "STRUCTURE"
    assert rule.claim in ("dated", "relative", "statistic")


@pytest.mark.parametrize(("text", "expected"), [
    ("data from 2010–2017 shows", [("2010-01-01", "2017-12-31")]),
    ("between 2012 and 2019", [("2012-01-01", "2019-12-31")]),
    ("will launch in Q2 2025", [("2025-04-01", "2025-06-30")]),
    ("as of March 2023", [("2023-03-01", "2023-03-31")]),
    ("as of June 30, 2025", [("2025-06-30", "2025-06-30")]),
    ("by early 2025", [("2025-01-01", "2025-04-30")]),
    ("the 2026-10 revision", [("2026-10-01", "2026-10-31")]),
    ("in the second half of 2024", [("2024-07-01", "2024-12-31")]),
    ("in 2019.", [("2019-01-01", "2019-12-31")]),
    ("U+2014 is an em dash; MISRA C:2012/2025; ISO 9899:1999", []),
    ("2048 tokens, version 2026.8.31, mcp-spec-revision-2026-10, $2019", []),
])
def test_dates_in_text(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(d.start.isoformat(), d.end.isoformat()) for d in find_dates(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("binary pushes accounted for roughly 37% of outages", [("roughly 37%", "percent", "approx")]),
    ("faulty software (~41.35%)", [("~41.35%", "percent", "approx")]),
    ("used by more than 2,000 engineering teams", [("more than 2,000 engineering teams", "count", "min")]),
    ("a $4.2 billion market", [("$4.2 billion", "money", "")]),
    ("3x faster builds", [("3x faster", "multiplier", "")]),
    ("Kubernetes 1.28, $19/month, 48 hours, 15 minutes, React 19.2 applications, Microsoft 365 Agents", []),
    ("$0.40 per 100k requests", []),
    ("Support up to 400% zoom at 50% width", []),
])
def test_statistics_in_text(lex, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(s.text, s.unit, s.qualifier) for s in find_stats(text, lex)] == expected


@pytest.mark.parametrize(("quoted", "qualifier", "truth", "ok"), [
    ("37", "", 37, True), ("35", "", 37, False), ("41", "", 41.35, True), ("41.4", "", 41.35, True),
    ("41.3", "", 41.35, True), ("41.2", "", 41.35, False), ("40", "approx", 41.35, True),
    ("30", "approx", 37, False), ("30", "min", 37, True), ("40", "min", 37, False), ("3", "max", 2.75, True),
])
def test_a_quoted_figure_agrees_when_it_rounds_to_the_source(quoted: str, qualifier: str, truth: float,
                                                             ok: bool) -> None:
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    stat = Stat(float(quoted), decimals, "percent", quoted + "%", 0, 0, qualifier)
    assert agrees(stat, truth, 2.0) is ok
