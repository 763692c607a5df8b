"""The prose engine: Vale-style rules it cannot run are reported (never a crash), and its shortcuts
(trigger words, line windows, cheap counts) find exactly what a plain scan finds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.checks.base import AuditContext
from auditor.checks.prose import build_prose, compile_rule, engine_for
from auditor.config import load_config
from auditor.models import Entry
from auditor.pipeline import load_entries
from tests.helpers import write_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"


def _entry(body: str, title: str = "T", summary: str = "") -> Entry:
    lines = body.splitlines()
    return Entry(id="e", path="e.md", title=title, summary=summary, body_start=5, body_lines=lines,
                 field_lines={"title": 2, "summary": 3})


def test_unsupported_kind_field_scope_and_regex_are_reported_naming_the_file() -> None:
    rule, problems = compile_rule("S.Spell", "styles/S/Spell.yml", {"extends": "spelling", "message": "x"})
    assert rule is None and "styles/S/Spell.yml" in problems[0] and "spelling" in problems[0]
    rule, problems = compile_rule("S.A", "S/A.yml", {"extends": "existence", "tokens": ["x"], "match": "$title"})
    assert rule is not None and "match" in problems[0] and "ignored" in problems[0]
    rule, problems = compile_rule("S.B", "S/B.yml", {"extends": "existence", "tokens": ["(unclosed"]})
    assert rule is None and "does not compile" in problems[0]
    rule, problems = compile_rule("S.C", "S/C.yml", {"extends": "existence", "tokens": ["x"], "scope": "raw"})
    assert rule is None and "scope" in problems[0]
    rule, problems = compile_rule("S.D", "S/D.yml", {"extends": "metric", "formula": "__import__('os')",
                                                     "condition": "> 1"})
    assert rule is None and "formula" in problems[0]
    rule, problems = compile_rule("S.E", "S/E.yml", ["not", "a", "mapping"])
    assert rule is None and "mapping" in problems[0]


def test_a_broken_style_folder_never_stops_the_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "auditor.toml": '[settings]\nprose_styles = ["styles", "missing"]\n',
        "styles/S/Bad.yml": "extends: existence\ntokens: [a\n",
        "styles/S/Good.yml": "extends: existence\nmessage: \"'%s'\"\ntokens: [utilize]\n",
        "a.md": "---\nkind: tool\ntitle: T\n---\nWe utilize it.\n",
    })
    config = load_config(tmp_path)
    entries = load_entries(tmp_path, config)
    engine = engine_for(AuditContext.build(entries, config, dt.date(2026, 11, 28)))
    assert [rule.name for rule in engine.custom] == ["S.Good"]
    assert any("Bad.yml" in p and "YAML" in p for p in engine.problems)
    assert any("missing" in p and "does not exist" in p for p in engine.problems)


def test_windowed_scan_finds_what_a_full_scan_finds() -> None:
    config = load_config(EXAMPLES)
    entries = load_entries(EXAMPLES, config)
    engine = engine_for(AuditContext.build(entries, config, dt.date(2026, 11, 28)))
    extra = _entry("It might\npossibly be the fastest, #1 tool.\n- sort\n  of very, really, extremely fast\n"
                   "In order to run it, it should be noted that it is able to run.", summary="Simply the best.")
    for entry in [*entries, extra]:
        prose = build_prose(entry)
        for rule in engine.packs.values():
            if rule.triggers is None:
                continue
            text = prose.text(rule.scope)[0]
            windowed = [m.span() for m in rule._scan(prose)]
            full = [m.span() for m in rule.pattern.finditer(text)]
            assert windowed == full, (entry.id, rule.name)


def test_prose_leaves_out_code_urls_and_keeps_line_numbers() -> None:
    prose = build_prose(_entry("Use `might` here.\n```\nperhaps\n```\nSee https://example.com/might.\nIt might.",
                               summary="A summary."))
    text, _, _ = prose.text()
    assert "perhaps" not in text and "`might`" not in text and "example.com" not in text
    offset = text.rindex("might")
    assert prose.line_of("text", offset) == 10
    assert prose.line_of("text", text.index("summary")) == 3


def test_readability_is_only_scored_on_enough_words() -> None:
    config = load_config(EXAMPLES)
    engine = engine_for(AuditContext.build([], config, dt.date(2026, 11, 28)))
    hard = ("Comprehensive infrastructure observability configuration necessitates systematically evaluating "
            "heterogeneous telemetry instrumentation alongside organizational accountability considerations. ")
    assert engine.packs["readability"].run(build_prose(_entry(hard))) is None  # 16 words: not scored
    outcome = engine.packs["readability"].run(build_prose(_entry(hard * 8)))
    assert outcome is not None and outcome.value is not None and outcome.value > 18
