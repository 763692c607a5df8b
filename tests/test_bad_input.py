"""A directory with every kind of broken file still audits every good entry and names every bad one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.config import load_config
from auditor.pipeline import check_entries, load_entries
from tests.helpers import skill, write_tree

BAD_FILES: dict[str, str | bytes] = {
    "bad/yaml.md": "---\nkind: skill\ntitle: [unclosed\nowner: x\n---\nbody\n",
    "bad/no-title.md": "---\nkind: skill\nsummary: s\nupdated: 2026-10-01\nreviewed: 2026-10-01\nowner: x\n---\n",
    "bad/unknown-kind.md": "---\nkind: plugin\ntitle: T\n---\n",
    "bad/latin1.md": b"---\nkind: skill\ntitle: T\n---\ncaf" + b"\xe9\n",
    "bad/empty.md": b"",
    "bad/not-a-date.md": (
        "---\nkind: skill\ntitle: T\nsummary: s\nupdated: 2026-10-01\nreviewed: last week\nowner: x\n---\n"
    ),
    "bad/no-front-matter.md": "# Just a heading\n",
    "other/alpha.md": skill("alpha", ["beta"]),  # same id as skills/alpha.md, read first
}

EXPECTED = {  # path -> (code, line)
    "bad/yaml.md": ("STR002", 3),  # where the unclosed `[` begins
    "bad/no-title.md": ("STR003", 1),
    "bad/unknown-kind.md": ("STR004", 2),
    "bad/latin1.md": ("STR001", 5),
    "bad/empty.md": ("STR001", 1),
    "bad/not-a-date.md": ("STR006", 6),
    "bad/no-front-matter.md": ("STR002", 1),
    "skills/alpha.md": ("STR005", 1),  # other/alpha.md sorts first and keeps the id
}


def test_every_bad_file_is_named_and_every_good_entry_audited(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "skills/alpha.md": skill("alpha", ["beta"]),
        "skills/beta.md": skill("beta", ["alpha", "gamma"]),
        "skills/gamma.md": skill("gamma", ["betta"]),
        **BAD_FILES,
    })
    config = load_config(tmp_path)
    entries = load_entries(tmp_path, config)
    assert len(entries) == 3 + len(BAD_FILES)
    findings = check_entries(entries, config, dt.date(2026, 11, 28))
    structural = {(f.path, f.code, f.line) for f in findings if f.family == "STR"}
    for path, (code, line) in EXPECTED.items():
        assert (path, code, line) in structural, f"{path}: expected {code} on line {line}, got {structural}"
    # the good entries were still judged: the typo in gamma is found, with a suggestion
    (typo,) = [f for f in findings if f.code == "XRF001" and f.entry == "gamma"]
    assert "beta" in typo.fix
    assert not [f for f in findings if f.path.startswith("skills/") and f.severity.name != "info"
                and f.code not in ("XRF001", "STR005")]


def test_messages_say_what_is_wrong(tmp_path: Path) -> None:
    write_tree(tmp_path, BAD_FILES)
    config = load_config(tmp_path)
    findings = check_entries(load_entries(tmp_path, config), config, dt.date(2026, 11, 28))
    messages: dict[str, str] = {}
    for f in findings:
        messages[f.path] = messages.get(f.path, "") + f.message + "\n"
    assert "not UTF-8" in messages["bad/latin1.md"]
    assert "empty" in messages["bad/empty.md"]
    assert "`reviewed` is not a date: 'last week'" in messages["bad/not-a-date.md"]
    assert "plugin" in messages["bad/unknown-kind.md"]
    assert "`title` is missing" in messages["bad/no-title.md"]
