"""A directory for the `auditor serve` tests: the example directory plus one entry whose text attacks the page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from auditor.config import load_config
from auditor.pipeline import run_audit
from tests.helpers import skill

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "directory"
FIRST, LATER = dt.date(2026, 11, 28), dt.date(2026, 12, 28)

HOSTILE_TITLE = "<script>window.pwned=1;alert(1)</script></style><b>bold</b>"
HOSTILE_OWNER = "javascript:alert(2)"
HOSTILE_RELATED = "<img src=x onerror=alert(3)>"
HOSTILE_BODY_LINK = "[click me](javascript:alert(4))"


def hostile_entry() -> str:
    text = skill("hostile", [f'"{HOSTILE_RELATED}"'], owner=f'"{HOSTILE_OWNER}"')
    text = text.replace("title: Hostile\n", f"title: '{HOSTILE_TITLE}'\n")
    return text + f"\nSee {HOSTILE_BODY_LINK} and </style><script>alert(5)</script>.\n"


def example_with_hostile(root: Path) -> Path:
    """A copy of the example directory with the hostile entry, audited on FIRST and a month later."""
    directory = root / "directory"
    shutil.copytree(EXAMPLE, directory, ignore=shutil.ignore_patterns(".auditor"))
    (directory / "skills" / "hostile.md").write_text(hostile_entry(), encoding="utf-8")
    return directory


def audit_twice(directory: Path, db_url: str) -> str:
    """Audit on FIRST and on LATER (offline); the directory's configured name."""
    config = load_config(directory)
    config.settings["offline"] = True
    for day in (FIRST, LATER):
        run_audit(directory, config, day, db_url)
    return config.name
