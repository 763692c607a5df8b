"""Checks run in forked workers find exactly what one process finds."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from auditor.config import load_config
from auditor.parallel import worker_count
from auditor.pipeline import check_entries, load_entries

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"


BROKEN = {
    "broken-yaml.md": "---\nkind: tool\ntitle: [unclosed\nsummary: x\n---\nBody.\n",
    "odd-kind.md": "---\nkind: gadget\ntitle: Odd\nsummary: x\nupdated: 2026-13-40\n---\nBody.\n",
    "list.md": "---\n- a\n- b\n---\nBody.\n",
    "tools/clearscribe-copy.md": "---\nid: clearscribe\nkind: tool\ntitle: Copy\nsummary: x\n---\n## Overview\n",
}


def _run(root: Path, workers: int) -> tuple[list[tuple[object, ...]], list[tuple[str, str, int, str, str]]]:
    config = load_config(root)
    config.settings.update(offline=True, workers=workers, parallel_min_entries=1)
    entries = load_entries(root, config)
    found = check_entries(entries, config, dt.date(2026, 11, 28), root=root)
    read = [(e.id, e.path, e.kind, e.title, e.updated, e.meta, e.field_lines, e.problems, e.related, e.links,
             e.body_start, len(e.sections)) for e in entries]
    return read, [(f.entry, f.code, f.line, f.fingerprint, f.message) for f in found]


def test_workers_read_and_find_what_one_process_does(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    for name, text in BROKEN.items():
        (root / name).write_text(text, encoding="utf-8")
    one = _run(root, 1)
    assert one[1], "the example directory has planted problems"
    kinds = {problem.kind for entry in one[0] for problem in entry[7]}  # type: ignore[attr-defined]
    assert {"front-matter", "unknown-kind", "bad-date", "duplicate-id"} <= kinds
    assert worker_count({"workers": 2, "parallel_min_entries": 1}, 34) == 2
    assert _run(root, 2) == one


def test_small_runs_stay_in_one_process() -> None:
    settings = {"workers": 4, "parallel_min_entries": 2000}
    assert worker_count(settings, 1999) == 1
    assert worker_count(settings, 50_000) == 4
    assert worker_count({"workers": 1, "parallel_min_entries": 1}, 50_000) == 1
    assert worker_count({"workers": 8, "parallel_min_entries": 1}, 3) == 3  # never more than entries
