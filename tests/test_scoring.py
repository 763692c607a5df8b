"""The staleness score: the worked example of docs/staleness.md, the hard trigger, and what orders tickets."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from auditor.config import load_config
from auditor.models import Entry, Finding, Severity
from auditor.scoring import reasons, score_entry

AS_OF = dt.date(2026, 11, 28)
STALENESS_PAGE = (Path(__file__).resolve().parent.parent / "docs" / "staleness.md").read_text(encoding="utf-8")


def _config(tmp_path: Path):
    return load_config(tmp_path)


def _finding(code: str, severity: Severity = Severity.warning, **kw) -> Finding:
    return Finding(entry="x", path="x.md", line=3, code=code, name="family.name", severity=severity,
                   message="m", **kw)


def test_worked_example_of_the_readme(tmp_path: Path) -> None:
    entry = Entry(id="x", path="x.md", kind="tool", reviewed=dt.date(2026, 10, 1),
                  meta={"pricing": [{"plan": "Pro", "price": "$20/month", "checked": "2026-06-01"}]})
    stat = _finding("STL005", claim="statistic", claim_date=dt.date(2017, 12, 31))
    result = score_entry(entry, [stat], AS_OF, _config(tmp_path))
    strengths = {s.claim: round(s.strength, 3) for s in result.signals}
    assert strengths == {"pricing": 0.675, "statistic": 0.698}
    assert result.score == 90 and result.review_overdue_days == 0
    assert "= **90**" in STALENESS_PAGE and "0.675" in STALENESS_PAGE and "0.698" in STALENESS_PAGE


def test_review_past_due_is_a_hard_trigger(tmp_path: Path) -> None:
    entry = Entry(id="y", path="y.md", kind="skill", reviewed=dt.date(2026, 1, 1))
    result = score_entry(entry, [], AS_OF, _config(tmp_path))
    assert result.review_overdue_days == 151
    assert [s.claim for s in result.signals] == ["prose"] and round(result.signals[0].strength * 100) == 16
    assert result.score == 83
    assert "**83**" in STALENESS_PAGE


def test_fresh_entry_scores_low_and_one_type_is_counted_once(tmp_path: Path) -> None:
    entry = Entry(id="z", path="z.md", kind="tool", reviewed=AS_OF,
                  meta={"pricing": [{"checked": str(AS_OF)}, {"checked": "2026-11-01"}]})
    assert score_entry(entry, [], AS_OF, _config(tmp_path)).score < 20
    # Two old prices are one stale pricing claim: the score equals that of the older one alone.
    old = Entry(id="o", path="o.md", kind="tool", reviewed=AS_OF,
                meta={"pricing": [{"checked": "2025-11-28"}, {"checked": "2025-11-28"}]})
    single = Entry(id="s", path="s.md", kind="tool", reviewed=AS_OF, meta={"pricing": [{"checked": "2025-11-28"}]})
    config = _config(tmp_path)
    assert score_entry(old, [], AS_OF, config).score == score_entry(single, [], AS_OF, config).score


def test_score_is_bounded_and_future_claims_are_ignored(tmp_path: Path) -> None:
    entry = Entry(id="b", path="b.md", kind="skill", reviewed=dt.date(2015, 1, 1),
                  meta={"pricing": [{"checked": "2010-01-01"}, {"checked": "2030-01-01"}]})
    findings = [_finding(f"STL00{i}", claim=claim, claim_date=dt.date(2001, 1, 1))
                for i, claim in enumerate(["statistic", "dated", "relative", "version"], start=2)]
    result = score_entry(entry, findings, AS_OF, _config(tmp_path))
    assert result.score == 100
    assert all(s.since <= AS_OF for s in result.signals)


def test_weights_come_from_the_rule_pack(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text("[pack.staleness_score.weight]\npricing = 0.1\n", encoding="utf-8")
    entry = Entry(id="p", path="p.md", kind="news", reviewed=AS_OF, meta={"pricing": [{"checked": "2020-01-01"}]})
    assert score_entry(entry, [], AS_OF, _config(tmp_path)).score == 10


def test_reasons_are_distinct_and_most_severe_first() -> None:
    found = [_finding("STR009", Severity.warning, reason="STRUCTURE"),
             _finding("XRF001", Severity.error, reason="XREF_BROKEN"),
             _finding("STR010", Severity.warning, reason="STRUCTURE"),
             _finding("XRF004", Severity.info, reason="ORPHAN")]
    assert reasons(found) == ["XREF_BROKEN", "STRUCTURE", "ORPHAN"]


def test_every_rule_declares_a_reason_code() -> None:
    from auditor.checks.engine import all_rules

    for rule in all_rules():
        assert re.fullmatch(r"[A-Z][A-Z_]+", rule.reason), f"{rule.code} reason {rule.reason!r}"


def test_entries_of_one_kind_with_the_same_claims_score_alike_each_on_its_own(tmp_path: Path) -> None:
    from auditor.scoring import score_entries

    config = _config(tmp_path)
    pricing = {"pricing": [{"checked": "2025-06-01"}]}
    twins = [Entry(id=name, path=f"{name}.md", kind="tool", reviewed=dt.date(2026, 11, 1), meta=dict(pricing))
             for name in ("a", "b")]
    unreviewed = Entry(id="u", path="u.md", kind="tool", meta=dict(pricing), last_changed=dt.date(2026, 1, 1),
                       last_changed_by="front-matter", last_changed_ref="updated")
    skill = Entry(id="s", path="s.md", kind="skill", reviewed=dt.date(2026, 11, 1), meta=dict(pricing))
    stat = Finding(entry="b", path="b.md", line=3, code="STL005", name="n", severity=Severity.warning, message="m",
                   claim="statistic", claim_date=dt.date(2017, 12, 31))
    entries = [*twins, unreviewed, skill]
    scores = score_entries(entries, [stat], AS_OF, config)
    assert {key: (s.entry, s.score, s.signals) for key, s in scores.items()} == {
        e.id: (e.id, one.score, one.signals) for e in entries
        for one in [score_entry(e, [stat] if e.id == "b" else [], AS_OF, config)]}
    assert scores["b"].score > scores["a"].score  # the statistic's claim counts for b alone
    assert scores["u"].unreviewed and not scores["a"].unreviewed and scores["u"].evidence == "front-matter"
    assert "prose" in {s.claim for s in scores["s"].signals} - {s.claim for s in scores["a"].signals}  # its kind
    scores["a"].signals.clear()  # each score has its own list
    assert score_entries(twins, [], AS_OF, config)["b"].signals
