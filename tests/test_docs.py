"""Docs enforced by tests: every setting and every rule is in the README."""

from __future__ import annotations

from pathlib import Path

from auditor.checks.engine import all_rules
from auditor.settings import DEFAULTS, SCHEDULE_DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for key in DEFAULTS:
        assert f"| `{key}` |" in README, f"setting {key} is not in the README's Settings table"


def test_every_schedule_setting_is_documented() -> None:
    section = README.split("## Scheduled audits", 1)[1].split("\n## ", 1)[0]
    for key in SCHEDULE_DEFAULTS:
        assert f"| `{key}` |" in section, f"[schedule] {key} is not in the README's Scheduled audits table"


def test_every_rule_is_in_the_readme_table() -> None:
    for rule in all_rules():
        assert f"| {rule.code} | {rule.name} | {rule.severity.name} |" in README, f"{rule.code} missing from README"


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("make audit") and block[1].startswith("make test")
