"""One convention, one finding: a rule that fires the same way on most entries of a kind is reporting the
directory's convention, not a defect of each entry. Runs once, after the rules, over all their findings.

A rule that can be a convention says so with `Rule.convention_line()` (the configuration line that accepts it),
and may narrow who is counted with `convention_scope()` (default: the entry's kind) and which findings count with
`convention_key()` (default: the finding's key, so "missing `owner`" and "missing `title`" are counted apart).
A (rule, key) is collapsed when, in the scopes where it fires, it fires on more than `convention_share` of the
entries, and on at least `convention_min_entries` entries in all: its per-entry findings are replaced by one
finding on the directory itself (entry id DIRECTORY_ID, path `auditor.toml`), unless `[rules] enforce` names it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from auditor.checks.base import AuditContext, Rule
from auditor.config import Config
from auditor.models import Entry, Finding

# The entry id of findings about the directory as a whole. Its ticket has no owner: it is the maintainer's.
DIRECTORY_ID = "(directory)"
# Where a directory finding points: its fix is a line of the configuration.
DIRECTORY_PATH = "auditor.toml"


@dataclass
class _Group:
    rule: Rule
    key: str
    findings_by_scope: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))


def kind_list_line(code: str, list_name: str, scope: str, key: str, config: Config) -> str:
    """The line accepting that a kind's entries leave out `key`: the kind's `list_name` in rules/kinds.yml without
    it (the whole rule off when the convention spans several kinds)."""
    kind = scope.removeprefix("kind ") if scope.startswith("kind ") else ""
    if not kind or not key:
        return f'[rules] disable = ["{code}"]'
    kept = [name for name in config.kind_data(kind).get(list_name, []) if name.lower() != key.lower()]
    names = ", ".join(f'"{name}"' for name in kept)
    return f"[pack.kinds.kinds.{kind}] {list_name} = [{names}]"


def directory_entry() -> Entry:
    """The pseudo-entry that directory findings belong to, so the store and tickets treat them like any other."""
    return Entry(id=DIRECTORY_ID, path=DIRECTORY_PATH, title="Directory conventions")


def may_be_convention(rule: Rule, config: Config) -> bool:
    """Whether this rule's findings can be collapsed into a convention: it names the line that accepts one, and
    `[rules] enforce` does not keep it on every entry."""
    return (rule.code not in config.enforced and rule.family not in config.enforced
            and bool(rule.convention_line("", "", config)))


def collapse_conventions(findings: list[Finding], entries: list[Entry], rules: list[Rule],
                         ctx: AuditContext) -> tuple[list[Finding], list[dict[str, object]]]:
    """The findings with each convention's per-entry findings replaced by one directory finding, and what was
    collapsed (rule, key, entries, share, the line that accepts it) for the run summary."""
    settings = ctx.config.settings
    share = float(settings.get("convention_share", 0.5))
    least = int(settings.get("convention_min_entries", 20))
    candidates = {rule.code: rule for rule in rules if may_be_convention(rule, ctx.config)}
    if not candidates or len(entries) < least:
        return findings, []
    by_id = {entry.id: entry for entry in entries}
    groups: dict[tuple[str, str], _Group] = {}
    for finding in findings:
        rule = candidates.get(finding.code)
        entry = by_id.get(finding.entry)
        if rule is None or entry is None:
            continue
        key = rule.convention_key(finding)
        scope = rule.convention_scope(entry)
        if key is None or scope is None:
            continue
        group = groups.setdefault((finding.code, key), _Group(rule, key))
        group.findings_by_scope[scope].append(finding)
    if not groups:
        return findings, []
    population: dict[tuple[str, str], int] = defaultdict(int)  # (rule code, scope) -> entries in the scope
    for code, rule in candidates.items():
        if any(c == code for c, _ in groups):
            for entry in entries:
                scope = rule.convention_scope(entry)
                if scope is not None:
                    population[(code, scope)] += 1

    collapsed: set[int] = set()
    directory_findings: list[Finding] = []
    report: list[dict[str, object]] = []
    for (code, key), group in sorted(groups.items()):
        held: list[Finding] = []
        counted = total = 0
        for scope, scoped in group.findings_by_scope.items():
            firing = len({f.entry for f in scoped})
            if firing > share * population[(code, scope)]:
                held.extend(scoped)
                counted += firing
                total += population[(code, scope)]
        if counted < least:
            continue
        collapsed.update(id(f) for f in held)
        held.sort(key=lambda f: (f.path, f.line))
        scopes = sorted(scope for scope, scoped in group.findings_by_scope.items()
                        if any(id(f) in collapsed for f in scoped))
        line = group.rule.convention_line(scopes[0] if len(scopes) == 1 else "", key, ctx.config)
        directory_findings.append(_directory_finding(group.rule, key, held, counted, total, scopes, line))
        report.append({"code": code, "key": key, "entries": counted, "of": total, "findings": len(held),
                       "accept": line, "by_init": group.rule.convention_by_init})
    if not directory_findings:
        return findings, []
    kept = [f for f in findings if id(f) not in collapsed] + directory_findings
    kept.sort(key=lambda f: (f.path, f.line, f.code))
    return kept, report


def _directory_finding(rule: Rule, key: str, held: list[Finding], counted: int, total: int, scopes: list[str],
                       line: str) -> Finding:
    from auditor.checks.engine import fingerprint

    where = scopes[0] if len(scopes) == 1 else f"{len(scopes)} groups: {', '.join(scopes[:3])}"
    where += ", ..." if len(scopes) > 3 else ""
    about = f" `{key}`" if key else ""
    examples = "; ".join(f"{f.path}:{f.line}: {f.message}" for f in held[:3])
    finding = Finding(
        entry=DIRECTORY_ID, path=DIRECTORY_PATH, line=1, code=rule.code, name=rule.name,
        severity=max(f.severity for f in held),
        message=(f"a convention of this directory, reported once: {rule.code}{about} on {counted} of {total} "
                 f"entries ({round(100 * counted / total)}%), {where}"),
        evidence=f"e.g. {examples}",
        fix=f"Accept it with `{line}` in auditor.toml, or fix the entries and enforce the rule with "
            f"`[rules] enforce = [\"{rule.code}\"]`.",
        key=f"convention:{key}", reason=rule.reason, claim=rule.claim,
    )
    finding.fingerprint = fingerprint(finding)
    return finding
