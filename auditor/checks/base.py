"""What a rule is: a code, a readable name, a default severity, docs, and a check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from auditor.config import Config
from auditor.models import Edit, Entry, Finding, Severity


@dataclass
class AuditContext:
    """Everything a rule may read besides the entry itself."""

    as_of: dt.date
    config: Config
    entries: list[Entry]
    by_id: dict[str, Entry] = field(default_factory=dict)
    related_to: dict[str, set[str]] = field(default_factory=dict)  # id -> ids of entries that list it
    # The entries being judged this run (None: all of them), so prepare() can skip work `check` does not need.
    targets: list[Entry] | None = None
    # Package registry answers (auditor.checks.registry.RegistryClient); None means offline.
    registry: Any = None
    # Link verdicts (auditor.links.book.LinkBook); None means web links are not checked (offline, or not asked).
    links: Any = None
    # The directory's root folder, for links to files in it (None: only entries count as link targets).
    root: Path | None = None
    # What run_rules collapsed into directory findings (auditor/checks/conventions.py), for the run summary.
    conventions: list[dict[str, Any]] = field(default_factory=list)
    # Findings an entry's inline suppressions kept quiet (auditor/checks/suppressions.py), for the run summary.
    suppressed: list[Finding] = field(default_factory=list)
    # Rule codes whose findings on an entry the entry cache gave (path -> codes): those are not checked again.
    reused: dict[str, frozenset[str]] = field(default_factory=dict)
    # The entries some rule checks again when the cache gave findings (set by run_rules; None: it gave none).
    rechecked: list[Entry] | None = field(default=None, repr=False)
    # `check` of a few files: digests of every other entry (auditor/checks/digests.py: OtherDigests), which
    # `entries` then leaves out, and how to read one of them in full. Rules that look across entries read both.
    others: Any = None
    load_entry: Callable[[str], Entry] | None = field(default=None, repr=False)
    # An audit's digests as this run left them (auditor/checks/digests.py: DigestStore; None when none are kept):
    # the unchanged entries' duplicate features and date styles without reading them again, and the old digests of
    # the entries that changed.
    digests: Any = field(default=None, repr=False)
    # What changed since the entry cache's findings were made (auditor/checks/cache.py: Changes), once planned.
    changes: Any = field(default=None, repr=False)
    # A key of every entry's id, path and `related` ids and the git HEAD, once the entry cache planned the run.
    id_graph: str | None = field(default=None, repr=False)
    # The codes of the rules this run has active (set by run_rules).
    active_codes: frozenset[str] = frozenset()
    _by_path: dict[str, Entry] | None = field(default=None, repr=False)
    _id_index: Any = field(default=None, repr=False)
    _closest: dict[tuple[str, str, float], str | None] = field(default_factory=dict, repr=False)
    # The package each judged entry names (path -> (registry, name), None: none), read once for the nine CAP rules
    _packages: dict[str, tuple[str, str] | None] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, entries: list[Entry], config: Config, as_of: dt.date, every: list[Any] | None = None,
              others: Any = None) -> AuditContext:
        """With `every` (the whole directory in order: these entries, and references to the others), ids, paths
        and relations span all of it: a reference stands for its entry in `by_id` and `by_path` (its id, path and
        `related`; `full()` reads the rest), and `others` holds the digests of those others."""
        by_id = {entry.id: entry for entry in (entries if every is None else every)}
        related_to: dict[str, set[str]] = {}
        if every is None:
            for entry in entries:
                for target in entry.related:
                    related_to.setdefault(target, set()).add(entry.id)
        else:  # only the judged entries' ids are asked about (EntryRef.lists: without splitting 50,000 lists)
            for entry in entries:
                related_to[entry.id] = {other.id for other in every if (
                    entry.id in other.related if isinstance(other, Entry) else other.lists(entry.id))}
        ctx = cls(as_of=as_of, config=config, entries=entries, by_id=by_id, related_to=related_to, others=others)
        if every is not None:
            ctx._by_path = {entry.path: entry for entry in every}
        return ctx

    def full(self, entry: Any) -> Entry:
        """The entry itself, for one that `by_id` or `by_path` gave as a digest."""
        if isinstance(entry, Entry) or self.load_entry is None:
            return entry
        return self.load_entry(entry.path)

    @property
    def pack(self) -> dict[str, Any]:
        return self.config.pack

    @property
    def by_path(self) -> dict[str, Entry]:
        """Entries by their path, built once per run."""
        if self._by_path is None:
            self._by_path = {entry.path: entry for entry in self.entries}
        return self._by_path

    def closest_id(self, wanted: str, besides: str, cutoff: float = 70) -> str | None:
        """The known entry id most like `wanted` (rapidfuzz ratio at least `cutoff`), never `besides`, and only one
        close enough to be what the writer meant (`suggestions` in the rule pack): otherwise None.
        Answered from an index of the ids (auditor/checks/id_index.py) built once per run."""
        remembered = self._closest.get((wanted, besides, cutoff))
        if remembered is not None or (wanted, besides, cutoff) in self._closest:
            return remembered
        found = self.id_index().closest(wanted, besides, cutoff, self.pack.get("suggestions"))
        self._closest[(wanted, besides, cutoff)] = found
        return found

    def id_index(self) -> Any:
        """The index closest_id answers from; a rule's prepare() builds it so forked workers share it."""
        if self._id_index is None:
            from auditor.checks.id_index import IdIndex

            # Postings pay off over many lookups; a few entries judged against digests look up a few ids.
            self._id_index = IdIndex(list(self.by_id), postings=not self.others)
        return self._id_index


class Rule:
    """Base class. A subclass lives alone in its own module under `auditor/checks/rules/<family>/`."""

    code: ClassVar[str]
    name: ClassVar[str]  # family.readable-name
    severity: ClassVar[Severity]
    title: ClassVar[str]  # one line
    what: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    fix: ClassVar[str]
    enabled_by_default: ClassVar[bool] = True
    # Why an entry with this finding needs a refresh: a code editors filter tickets by.
    reason: ClassVar[str] = "STRUCTURE"
    # The kind of claim whose age the staleness score weighs ("" when the finding is not about age).
    claim: ClassVar[str] = ""
    # What a finding on one entry depends on, so the entry cache (auditor/checks/cache.py) knows when to reuse it:
    # "entry" (the entry and the configuration), "date" (and the as-of date), "ids" (and every entry's id, path
    # and related ids), "directory" (and other entries' content: see `neighbours`), "files" (and the directory's
    # outline: every file's path, the other files' sizes and times, what `outline` gives of every entry);
    # "" never reuses it (web links, package registries, a live site).
    depends_on: ClassVar[str] = ""
    # For a "directory" rule: the name of the group of rules that say themselves which entries a change touches
    # (`affected`) and what they read of the whole directory (`basis`); their findings on an entry are reused while
    # the basis is the same and the entry is not affected. Empty: reused only while no entry changed.
    neighbours: ClassVar[str] = ""
    # False for findings that say a check could not run (unverified, blocked): shown in reports, never on a ticket.
    on_tickets: ClassVar[bool] = True
    # True when prepare() does long work across all entries and check() only looks its results up: in a run
    # shared out to workers, such a rule is prepared and checked in the main process while the workers run.
    prepare_alongside: ClassVar[bool] = False

    # A rule that can fire on a directory's convention (a date style, a spelling) names the configuration line
    # that accepts it: one finding then stands for all (auditor/checks/conventions.py). Empty: never collapsed.
    convention: ClassVar[str] = ""
    # False when `auditor init` should not write that line for the user (accepting it would hide a real signal, as
    # switching STL001 off would): init names it in a comment instead.
    convention_by_init: ClassVar[bool] = True

    def convention_line(self, scope: str, key: str, config: Config) -> str:
        """The auditor.toml line that accepts this rule's convention in `scope` (e.g. `kind mcp`; "" when several)
        about `key` ("" when the rule can never be a convention)."""
        return self.convention

    def convention_scope(self, entry: Entry) -> str | None:
        """The group of entries a convention is counted in (None: the entry is never counted)."""
        if entry.kind:
            return f"kind {entry.kind}"
        return f"format {entry.source_format}" if entry.source_format else "entries"

    def convention_key(self, finding: Finding) -> str | None:
        """Findings with the same key are the same convention (None: this finding is never one)."""
        return finding.key

    def dependency(self, ctx: AuditContext) -> str:
        """What this run's findings on one entry depend on (`depends_on`, unless the run changes it)."""
        return self.depends_on

    def affected(self, ctx: AuditContext, changes: Any) -> set[str] | None:
        """For a rule with `neighbours`: the paths of the unchanged entries whose findings the changes
        (auditor/checks/cache.py: Changes) can move; None when that cannot be told (every entry is checked)."""
        return None

    def basis(self, ctx: AuditContext) -> object:
        """For a rule with `neighbours`: what its findings read of the whole directory (a date-style convention),
        as a value with a stable `repr`; when it differs from the last run's, every entry is checked again."""
        return None

    def outline(self, entry: Entry) -> object:
        """For a "files" rule: what its checks of other entries read of this one (headings, a category), as a
        value with a stable `repr`; None when nothing."""
        return None

    def prepare(self, ctx: AuditContext) -> None:
        """Called once per run before any entry is checked: work across all entries goes here."""

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(
        self,
        entry: Entry,
        message: str,
        *,
        line: int | None = None,
        evidence: str = "",
        fix: str = "",
        key: str = "",
        claim_date: dt.date | None = None,
        reason: str = "",
        edit: Edit | None = None,
    ) -> Finding:
        path, line = entry.path, line or 1
        column = None
        if getattr(entry, "twin_path", None):  # an entry read from a pair of files (post-mortems are not entries)
            path, line = entry.locate(line)
            message, evidence, fix = entry.untwin(message), entry.untwin(evidence), entry.untwin(fix)
        elif key and hasattr(entry, "body_lines"):
            column = _column(entry, line, key)
        return Finding(
            column=column,
            entry=entry.id,
            path=path,
            line=line,
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            evidence=evidence,
            fix=fix or self.fix.strip().splitlines()[0],
            key=key,
            reason=reason or self.reason,
            claim=self.claim,
            claim_date=claim_date,
            edit=edit,
        )

    @property
    def family(self) -> str:
        return "".join(ch for ch in self.code if ch.isalpha())


def _column(entry: Entry, line: int, key: str) -> int | None:
    """Where the finding's key (a URL, an id, a quoted phrase) starts on its body line, when it is there as is."""
    index = line - entry.body_start
    if 0 <= index < len(entry.body_lines):
        at = entry.body_lines[index].find(key)
        if at >= 0:
            return at + 1
    return None


class LoadProblemRule(Rule):
    """A rule that reports the problems the source recorded while reading files."""

    problem_kinds: ClassVar[tuple[str, ...]]
    depends_on = "entry"

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for problem in entry.problems:
            if problem.kind in self.problem_kinds:
                yield self.finding(
                    entry, problem.message, line=problem.line, evidence=problem.evidence,
                    key=f"{problem.kind}:{problem.field or ''}",
                )
