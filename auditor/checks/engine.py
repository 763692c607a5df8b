"""Finds the rules, decides which run, runs them, and fingerprints what they find."""

from __future__ import annotations

import gc
import hashlib
import importlib
import inspect
import pkgutil
import signal
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from auditor.checks import rules as rules_package
from auditor.checks.base import AuditContext, Rule
from auditor.checks.cache import EntryCache
from auditor.checks.conventions import collapse_conventions, may_be_convention
from auditor.checks.suppressions import apply_suppressions
from auditor.config import Config
from auditor.heap import settle
from auditor.models import Entry, Finding
from auditor.parallel import fork_pool, worker_count


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


# What a rule's findings on an entry may depend on for `check` of some files to count them on the other entries
# too: the entry, its dates, the directory's files, the ids and relations; not what a run prepares across the
# entries' contents for the judged entries only (duplicates, date styles).
COUNTED_ON_OTHERS = frozenset({"entry", "date", "files", "ids"})
Population = Callable[[list[Rule]], tuple[list[Entry], list[Finding]]]


def run_rules(
    entries: list[Entry],
    ctx: AuditContext,
    progress: Callable[[int], None] | None = None,
    cache: EntryCache | None = None,
    population: Population | None = None,
) -> list[Finding]:
    """All findings for these entries, sorted by path and line. A failing rule is a bug, so it raises.

    Every rule's `prepare()` runs here first (work across all entries, network included); the per-entry checks
    then run in `workers` forked processes when there are at least `parallel_min_entries` entries.
    With a `cache` (auditor/checks/cache.py), a rule's findings on an entry are reused when nothing they depend
    on changed; only the rest is checked, and a rule with nothing left to check is not prepared.
    With `population` (`check` of some files), conventions are counted over the whole directory, as an audit
    counts them: given the rules that may be one and fired here, it returns the other entries and those rules'
    findings on them (counted, never reported)."""
    active = active_rules(ctx.config)
    rules = active
    reused_findings: list[Finding] = []
    ctx.active_codes = frozenset(rule.code for rule in active)
    if cache is not None:
        ctx.reused, reused_findings = cache.plan(ctx.entries, entries, rules, ctx)
        settle(len(reused_findings))
    every = frozenset(rule.code for rule in rules)
    # The reused sets are shared (few distinct ones): each is compared with `every` once, not once an entry.
    nothing: frozenset[str] = frozenset()
    whole = {id(codes) for codes in {id(codes): codes for codes in ctx.reused.values()}.values() if codes == every}
    todo = [entry for entry in entries if id(ctx.reused.get(entry.path, nothing)) not in whole]
    if progress and len(todo) < len(entries):
        progress(len(entries) - len(todo))
    ctx.rechecked = todo if ctx.reused else None
    if ctx.reused:  # a rule no entry needs is not even prepared
        left = {ctx.reused.get(entry.path, nothing) for entry in todo}
        rules = [rule for rule in rules if any(rule.code not in codes for codes in left)]
    workers = worker_count(ctx.config.settings, len(todo))
    if workers > 1:
        # Rules whose prepare() is long and whose check() only looks its results up (the duplicate index) are
        # prepared and checked here while the workers check the entries against all the others.
        alongside = [rule for rule in rules if rule.prepare_alongside]
        others = [rule for rule in rules if not rule.prepare_alongside]
        for rule in others:
            rule.prepare(ctx)

        def meanwhile() -> list[Finding]:
            for rule in alongside:
                rule.prepare(ctx)
            return _check_slice(todo, alongside, ctx)

        findings = _check_in_workers(todo, others, ctx, workers, progress, meanwhile)
    else:
        for rule in rules:
            rule.prepare(ctx)
        findings = _check_slice(todo, rules, ctx, progress)
    if cache is not None:
        cache.save(entries, findings, reused_findings, ctx.entries)
        findings.extend(reused_findings)
    unused = next((rule for rule in active if rule.code == "SUP001"), None)
    findings, ctx.suppressed = apply_suppressions(entries, findings, unused, {rule.code for rule in active})
    for finding in findings:
        finding.fingerprint = finding.fingerprint or fingerprint(finding)
    findings.sort(key=lambda f: (f.path, f.line, f.code))
    if population is None:
        findings, ctx.conventions = collapse_conventions(findings, entries, active, ctx)
        return findings
    fired = {f.code for f in findings}
    counted = [rule for rule in rules if rule.code in fired and rule.depends_on in COUNTED_ON_OTHERS
               and may_be_convention(rule, ctx.config)]
    if counted:
        other_entries, other_findings = population(counted)
        merged, ctx.conventions = collapse_conventions(findings + other_findings, entries + other_entries, active,
                                                       ctx)
        judged = {id(finding) for finding in findings}  # the directory's own finding is the audit's to report
        findings = [finding for finding in merged if id(finding) in judged]
    return findings


def _check_slice(entries: list[Entry], rules: list[Rule], ctx: AuditContext,
                 progress: Callable[[int], None] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    remaining: dict[frozenset[str], list[Rule]] = {}  # the rules left to run, per set of codes the cache gave
    nothing: frozenset[str] = frozenset()
    with RuleBudget(float(ctx.config.settings.get("rule_time_budget") or 0)) as budget:
        for entry in entries:
            reused = ctx.reused.get(entry.path, nothing)
            left = remaining.get(reused)
            if left is None:
                left = remaining[reused] = [rule for rule in rules if rule.code not in reused]
            for rule in left:
                if rule.code in entry.ignore:
                    continue
                budget.start()
                try:
                    for finding in rule.check(entry, ctx):
                        finding.fingerprint = fingerprint(finding)
                        findings.append(finding)
                    budget.stop()
                except OverBudget:  # the alarm cleared the budget before raising: nothing more is raised
                    findings.append(_over_budget(entry, rule, budget.seconds, ctx))
                except BaseException:
                    budget.stop()
                    raise
            if progress:
                progress(1)
    return findings


class OverBudget(BaseException):  # noqa: N818 - not an error of the rule's; a BaseException so no rule swallows it
    """Raised inside a rule that has run longer than `rule_time_budget` on one entry."""


class RuleBudget:
    """Stops a rule that runs longer than `seconds` on one entry (`rule_time_budget`), so one entry that makes a
    rule slow (a pattern that backtracks, a quadratic loop) cannot hang the run. A timer signal (SIGALRM) every
    quarter of the budget looks at how long the current rule has run and raises OverBudget inside it when it is
    over; regular expressions are interrupted too. Only in a process's main thread (forked workers included),
    where signals arrive; elsewhere, or with a budget of 0, nothing is timed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None
        # Never where another timer runs already (a test harness's timeout, say): that one is left alone.
        self.active = (seconds > 0 and hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread()
                       and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
        self._previous: Any = None

    def __enter__(self) -> RuleBudget:
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
            tick = max(self.seconds / 4, 0.01)
            signal.setitimer(signal.ITIMER_REAL, tick, tick)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)  # first: no alarm arrives once the old handler is back
            signal.signal(signal.SIGALRM, self._previous)

    def start(self) -> None:
        self.started = time.monotonic()

    def stop(self) -> None:
        self.started = None

    def _alarm(self, _signum: int, _frame: object) -> None:
        started = self.started
        if started is not None and time.monotonic() - started > self.seconds:
            self.started = None
            raise OverBudget


def _over_budget(entry: Entry, rule: Rule, seconds: float, ctx: AuditContext) -> Finding:
    """STR001 on the entry: which rule was stopped, after how long, and that its findings there are incomplete."""
    reporter = get_rule("STR001")
    assert reporter is not None
    unreadable = reporter()
    unreadable.severity = ctx.config.severities.get(reporter.code, unreadable.severity)
    finding = unreadable.finding(
        entry, f"rule {rule.code} ({rule.name}) was stopped after {seconds:g} s on this entry (`rule_time_budget`): "
        f"its findings here may be incomplete", line=1, key=f"rule-time:{rule.code}",
        fix="Split the entry, or shorten what makes the rule slow here (a very long paragraph, list or table); "
            "a directory's own style rule (PRS008) may need a simpler pattern.")
    finding.fingerprint = fingerprint(finding)
    return finding


# What forked workers read: set just before the pool forks, so each child inherits the loaded entries and the
# prepared rules without copying them through a pipe (only the findings travel back).
_SHARED: tuple[list[Entry], list[Rule], AuditContext] | None = None
_BATCH = 250


def _check_batch(start: int) -> tuple[int, list[Finding]]:
    assert _SHARED is not None
    entries, rules, ctx = _SHARED
    batch = entries[start:start + _BATCH]
    return len(batch), _check_slice(batch, rules, ctx)


def _check_in_workers(entries: list[Entry], rules: list[Rule], ctx: AuditContext, workers: int,
                      progress: Callable[[int], None] | None,
                      meanwhile: Callable[[], list[Finding]] | None = None) -> list[Finding]:
    global _SHARED
    _SHARED = (entries, rules, ctx)
    findings: list[Finding] = []
    # Frozen objects are skipped by the children's garbage collector, which would otherwise touch (and so copy)
    # every page of the inherited entries. What loading froze stays frozen after (auditor/heap.py).
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        with fork_pool(workers) as pool:
            results = pool.imap_unordered(_check_batch, range(0, len(entries), _BATCH))
            if meanwhile is not None:
                findings.extend(meanwhile())
            for done, batch_findings in results:
                findings.extend(batch_findings)
                if progress:
                    progress(done)
            pool.close()  # see fork_pool: never leave the block with workers still running
            pool.join()
    finally:
        _SHARED = None
        if not frozen_before:
            gc.unfreeze()
    return findings
