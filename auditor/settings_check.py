"""Checking an auditor.toml against the settings table before anything uses it.

Every setting's type is its default's (`auditor/settings.py`); numbers are never negative, and the few that must
be larger have their minimum here. A wrong value is a ConfigError naming the file, the key, the value and what
is allowed, so `workers = "many"` or `link_concurrency = 0` stops the command with exit 2 instead of a traceback
halfway through (or a checker that waits forever).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from auditor.settings import DEFAULTS

# Settings whose value must be at least this (the others: at least 0). A float minimum means "more than 0".
MINIMUMS: dict[str, float] = {
    "link_concurrency": 1,
    "link_per_host": 1,
    "link_timeout": 0.001,
    "link_max_redirects": 1,
    "max_entry_bytes": 1024,
    "parallel_min_entries": 1,
}
MAXIMUMS: dict[str, float] = {"stale_score": 100}
# Text settings that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {
    "git_dates": ("auto", "prefer", "off"),
    "category_match": ("exact", "loose"),
    "unreviewed_findings": ("report", "summary"),
}
_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a text",
               list: "a list", dict: "a table"}


class SettingError(ValueError):
    """One bad value; the message names the key, the value and what is allowed (the caller adds the file)."""


def _allowed(key: str, default: Any) -> str:
    kind = type(default)
    text = _TYPE_NAMES.get(kind, kind.__name__)
    if kind in (int, float):
        low = MINIMUMS.get(key, 0)
        text += f" >= {low:g}" if low >= 1 or low == 0 else " > 0"
        if key in MAXIMUMS:
            text += f" and <= {MAXIMUMS[key]:g}"
    return text


def check_setting(key: str, value: Any) -> None:
    """Raise SettingError when `value` is not a valid value of setting `key`."""
    default = DEFAULTS[key]
    allowed = _allowed(key, default)
    if default is None:
        return
    kind = type(default)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise SettingError(f"`{key}` = {value!r} is not {allowed}")
    if key in CHOICES and str(value).strip().lower() not in CHOICES[key]:
        raise SettingError(f"`{key}` = {value!r} is not one of: {', '.join(CHOICES[key])}")
    if kind in (int, float):
        low = MINIMUMS.get(key, 0)
        if value < low or (0 < low < 1 and value <= 0) or value > MAXIMUMS.get(key, float("inf")):
            raise SettingError(f"`{key}` = {value!r} is out of range: expected {allowed}")
    if key == "link_skip":
        for pattern in value:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise SettingError(f"`link_skip` pattern {pattern!r} is not a regular expression: {exc}") from None


def check_file(data: dict[str, Any], path: Path | str | None, rule_codes: set[str] | None = None) -> list[str]:
    """Every problem of a parsed auditor.toml, each naming the file, the key, the value and what is allowed."""
    where = f"{path}: " if path else ""
    problems = []
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        return [f"{where}[settings] must be a table"]
    for key, value in settings.items():
        if key not in DEFAULTS:
            continue  # reported as an unknown setting
        try:
            check_setting(key, value)
        except SettingError as exc:
            problems.append(f"{where}[settings] {exc}")
    if "exclude" in data and not (isinstance(data["exclude"], list)
                                  and all(isinstance(item, str) for item in data["exclude"])):
        problems.append(f"{where}`exclude` = {data['exclude']!r} is not a list of file names or patterns")
    rules = data.get("rules", {})
    if rule_codes is not None and isinstance(rules, dict):
        for table in ("disable", "enable"):
            codes = rules.get(table, [])
            if not isinstance(codes, list):
                problems.append(f"{where}[rules] `{table}` = {codes!r} is not a list of rule codes")
                continue
            unknown = sorted(str(code) for code in codes if str(code).upper() not in rule_codes)
            if unknown:
                problems.append(f"{where}[rules] `{table}`: unknown rule code(s) {', '.join(unknown)} "
                                "(`auditor rules list` shows them all)")
    return problems
