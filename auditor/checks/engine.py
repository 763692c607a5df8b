"""Finds the rules, decides which run, runs them, and fingerprints what they find."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from functools import cache

from auditor.checks import rules as rules_package
from auditor.checks.base import AuditContext, Rule
from auditor.config import Config
from auditor.models import Entry, Finding


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by code; one module per rule under auditor/checks/rules/<family>/."""
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.walk_packages(rules_package.__path__, rules_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and obj.__module__ == module.__name__ and hasattr(obj, "code"):
                if obj.code in found:
                    raise RuntimeError(f"rule code {obj.code} is defined twice")
                found[obj.code] = obj
    return tuple(found[code] for code in sorted(found))


def get_rule(code: str) -> type[Rule] | None:
    wanted = code.strip()
    for rule in all_rules():
        if rule.code.lower() == wanted.lower() or rule.name == wanted:
            return rule
    return None


def active_rules(config: Config) -> list[Rule]:
    chosen = []
    for rule_class in all_rules():
        code = rule_class.code
        family = "".join(ch for ch in code if ch.isalpha())
        if code in config.disabled or family in config.disabled:
            continue
        if not rule_class.enabled_by_default and code not in config.enabled and family not in config.enabled:
            continue
        rule = rule_class()
        if code in config.severities:
            rule.severity = config.severities[code]
        chosen.append(rule)
    return chosen


def fingerprint(finding: Finding) -> str:
    """Stable across runs: entry, code and what the finding is about, never the line number."""
    basis = "\x1f".join((finding.entry, finding.code, finding.key or finding.message))
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def run_rules(
    entries: list[Entry],
    ctx: AuditContext,
    progress: Callable[[int], None] | None = None,
) -> list[Finding]:
    """All findings for these entries, sorted by path and line. A failing rule is a bug, so it raises."""
    rules = active_rules(ctx.config)
    for rule in rules:
        rule.prepare(ctx)
    findings: list[Finding] = []
    for entry in entries:
        for rule in rules:
            if rule.code in entry.ignore:
                continue
            for finding in rule.check(entry, ctx):
                finding.fingerprint = fingerprint(finding)
                findings.append(finding)
        if progress:
            progress(1)
    findings.sort(key=lambda f: (f.path, f.line, f.code))
    return findings
